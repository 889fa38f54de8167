// `sluice connect zoom` through the user's browser: the authorize URL with PKCE and state,
// starting the browser, and checking the redirect, with the same verdict shown in the tab and
// in the terminal.

#include "browser_flow.hpp"

#include "child_environment.hpp"
#include "loopback_listener.hpp"
#include "pkce.hpp"
#include "services.hpp"

#include "sluice_zoom/meeting_input.hpp"
#include <sluice/url.hpp>

#include <sluice/encoding.hpp>

#include <fcntl.h>
#include <map>
#include <ostream>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>

extern char** environ;

namespace sluice::zoom {

namespace asio = boost::asio;

namespace {

// Opens `url` in the user's browser: `command` (split on spaces) with the URL appended,
// else xdg-open. Returns false when nothing could be started.
bool open_browser(const std::string& command, const std::string& url) {
  std::vector<std::string> words;
  std::istringstream split(command.empty() ? "xdg-open" : command);
  for (std::string word; split >> word;)
    words.push_back(word);
  words.push_back(url);
  std::vector<char*> argv;
  for (std::string& w : words)
    argv.push_back(w.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // The browser's chatter is not ours to show.
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  // The browser lives on after we exit and may log or pass on its environment: it gets ours
  // without the credential key, the client secret or anything else that looks secret.
  std::vector<std::string> environment = scrubbed_environment(environ);
  std::vector<char*> envp;
  for (std::string& variable : environment)
    envp.push_back(variable.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return false;
  // Reap it in the background: xdg-open returns at once; a command that follows the
  // redirect itself (tests, the demo) finishes when the listener has answered.
  std::thread([pid] { waitpid(pid, nullptr, 0); }).detach();
  return true;
}

// What Zoom's redirect to the listener says: an authorization code, or why there is none.
struct RedirectVerdict {
  std::string code;
  std::string problem; ///< empty when `code` may be exchanged
};

RedirectVerdict judge_redirect(const std::map<std::string, std::string>& query,
                               const std::string& state) {
  RedirectVerdict verdict;
  if (auto error = query.find("error"); error != query.end()) {
    verdict.problem = "Zoom did not authorise the app: " + printable(error->second);
    if (auto why = query.find("error_description"); why != query.end() && !why->second.empty())
      verdict.problem += " (" + printable(why->second) + ")";
    return verdict;
  }
  if (auto got = query.find("state"); got == query.end() || got->second != state) {
    verdict.problem = "the redirect's state does not match this request (a stale or forged "
                      "redirect); nothing was connected. Run the command again";
    return verdict;
  }
  const auto code = query.find("code");
  if (code == query.end() || code->second.empty()) {
    verdict.problem = "Zoom's redirect carries no authorization code; nothing was connected";
    return verdict;
  }
  verdict.code = code->second;
  return verdict;
}

// The browser tab's page. On success the code still has to be exchanged, so the page does not
// claim more than it knows: the terminal has the last word.
std::string redirect_page(const RedirectVerdict& verdict) {
  const std::string head = "<!doctype html><meta charset=\"utf-8\"><title>Sluice</title>";
  if (verdict.problem.empty())
    return head + "<p>Zoom authorised Sluice. The terminal shows when the connection is "
                  "saved; you can close this tab.</p>";
  return head + "<p><strong>Sluice is not connected.</strong> " + markup_escape(verdict.problem) +
         ".</p><p>The terminal says the same; you can close this tab.</p>";
}

} // namespace

TokenAnswer authorize_in_browser(ProviderContext& ctx, const Endpoints& endpoints,
                                 const ClientCredentials& client, const BrowserFlow& flow) {
  Url redirect;
  if (flow.redirect_uri.empty()) {
    redirect.scheme = "http";
    redirect.host = "127.0.0.1";
    redirect.path = "/callback"; // port 0: the listener picks a free one
  } else {
    redirect = Url::parse(flow.redirect_uri);
  }
  if (redirect.scheme != "http" || !redirect.is_loopback())
    throw std::runtime_error("--redirect-uri must be http://127.0.0.1:PORT/PATH or "
                             "http://localhost:PORT/PATH (RFC 8252 loopback redirect)");
  const Services services = Services::of(ctx);
  LoopbackListener listener(services.io, redirect.host, redirect.port);
  const std::string path = redirect.path.empty() ? "/" : redirect.path;
  const std::string redirect_uri =
      "http://" + redirect.host + ":" + std::to_string(listener.port()) + path;
  const Pkce pkce = make_pkce();
  const std::string state = make_state();
  const std::string url = endpoints.authorize_url() +
                          "?response_type=code&client_id=" + percent_encode(client.client_id) +
                          "&redirect_uri=" + percent_encode(redirect_uri) + "&state=" + state +
                          "&code_challenge=" + pkce.challenge + "&code_challenge_method=S256";
  ctx.out() << "Open this URL in a browser and allow access:\n  " << url << "\n"
            << "Waiting up to " << flow.timeout.count() << " s for Zoom to redirect to "
            << redirect_uri << " ..." << std::endl;
  if (flow.open_browser)
    if (!open_browser(flow.browser_command, url))
      ctx.out() << "(could not start a browser; open the URL yourself)\n";
  // The page the browser shows says what the command will say: the same verdict decides both.
  RedirectVerdict verdict;
  wait_for(services, [&]() -> asio::awaitable<void> {
    co_await listener.wait_for(path, flow.timeout,
                               [&](const std::map<std::string, std::string>& query) {
                                 verdict = judge_redirect(query, state);
                                 return redirect_page(verdict);
                               });
  });
  if (!verdict.problem.empty())
    throw std::runtime_error(verdict.problem);
  return wait_for(services, [&]() -> asio::awaitable<TokenAnswer> {
    co_return co_await exchange_code(*services.http, endpoints, client, verdict.code, redirect_uri,
                                     pkce.verifier);
  });
}

} // namespace sluice::zoom
