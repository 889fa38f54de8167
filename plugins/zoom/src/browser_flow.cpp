#include "browser_flow.hpp"

#include "loopback_listener.hpp"
#include "pkce.hpp"
#include "runtime.hpp"

#include "sluice_zoom/http/url.hpp"
#include "sluice_zoom/meeting_input.hpp"

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
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return false;
  // Reap it in the background: xdg-open returns at once; a command that follows the
  // redirect itself (tests, the demo) finishes when the listener has answered.
  std::thread([pid] { waitpid(pid, nullptr, 0); }).detach();
  return true;
}

} // namespace

TokenAnswer authorize_in_browser(ProviderContext& ctx, const Endpoints& endpoints,
                                 const ClientCredentials& client, const BrowserFlow& flow) {
  http::Url redirect;
  if (flow.redirect_uri.empty()) {
    redirect.scheme = "http";
    redirect.host = "127.0.0.1";
    redirect.path = "/callback"; // port 0: the listener picks a free one
  } else {
    redirect = http::Url::parse(flow.redirect_uri);
  }
  if (redirect.scheme != "http" || !redirect.is_loopback())
    throw std::runtime_error("--redirect-uri must be http://127.0.0.1:PORT/PATH or "
                             "http://localhost:PORT/PATH (RFC 8252 loopback redirect)");
  LoopbackListener listener(Runtime::instance().io(), redirect.host, redirect.port);
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
  const auto query = wait_on_io([&]() -> asio::awaitable<std::map<std::string, std::string>> {
    co_return co_await listener.wait_for(
        path, flow.timeout,
        "<!doctype html><title>Sluice</title><p>Sluice is connected to Zoom. You can close "
        "this tab.</p>");
  });
  if (auto error = query.find("error"); error != query.end())
    throw std::runtime_error("Zoom did not authorise the app: " + error->second);
  if (auto got = query.find("state"); got == query.end() || got->second != state)
    throw std::runtime_error("the redirect's state does not match this request (a stale "
                             "or forged redirect); run the command again");
  const auto code = query.find("code");
  if (code == query.end() || code->second.empty())
    throw std::runtime_error("Zoom's redirect carries no authorization code");
  return wait_on_io([&]() -> asio::awaitable<TokenAnswer> {
    co_return co_await exchange_code(Runtime::instance().client(endpoints), endpoints, client,
                                     code->second, redirect_uri, pkce.verifier);
  });
}

} // namespace sluice::zoom
