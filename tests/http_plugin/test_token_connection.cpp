// `token` connections end to end through the real `sluice` binary: `sluice connect token`
// reads the secret from standard input or a file, the encrypted store keeps it, http.request
// sends it in its header to the origin it is kept to and to no other, and it never shows in
// an output, a message or the store file.

#include "child_process.hpp"
#include "http_test_support.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <fstream>
#include <random>
#include <sstream>

using sluice::Value;
using sluice::http::test::ok_response;
using sluice::http::test::ScriptedServer;
using sluice::http::test::ServerConnection;
using test_support::read_file;
using test_support::write_file;
namespace asio = boost::asio;

namespace {

std::string random_hex(std::size_t bytes) {
  std::random_device device;
  std::string hex;
  for (std::size_t i = 0; i < bytes; ++i) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", static_cast<unsigned>(device() & 0xff));
    hex += pair;
  }
  return hex;
}

struct Cli {
  int status = -1;
  std::string out, err;
};

// One test's store and environment; every CLI output is checked for the secrets it knows.
struct Workspace {
  test_support::TempDir directory;
  std::string key = random_hex(32);
  std::vector<std::string> secrets{key};
  int runs = 0;

  Cli sluice(std::vector<std::string> arguments, const std::string& input = {}) {
    const std::string n = std::to_string(runs++);
    const auto in = directory / ("in-" + n), out = directory / ("out-" + n),
               err = directory / ("err-" + n);
    write_file(in, input);
    arguments.insert(arguments.begin(), SLUICE_CLI);
    std::vector<std::string> environment;
    for (char** entry = environ; *entry; ++entry)
      if (!std::string_view(*entry).starts_with("SLUICE_"))
        environment.emplace_back(*entry);
    environment.push_back("SLUICE_CREDENTIALS=" + (directory / "credentials.db").string());
    environment.push_back("SLUICE_CREDENTIALS_KEY=" + key);
    environment.push_back("SLUICE_PLUGIN_PATH=" SLUICE_PLUGIN_DIR);
    std::vector<char*> envp;
    for (std::string& variable : environment)
      envp.push_back(variable.data());
    envp.push_back(nullptr);
    const pid_t pid =
        sluice::zoom_emulator::test::spawn_with_output_files(arguments, out, err, envp.data(), in);
    int wait_status = 0;
    ::waitpid(pid, &wait_status, 0);
    Cli result{WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1, read_file(out),
               read_file(err)};
    for (const std::string& secret : secrets) {
      CHECK_MESSAGE(result.out.find(secret) == std::string::npos, "a secret on stdout");
      CHECK_MESSAGE(result.err.find(secret) == std::string::npos, "a secret on stderr");
    }
    return result;
  }
  Cli run(const std::string& yaml) {
    const auto file = directory / ("pipeline-" + std::to_string(runs) + ".yaml");
    write_file(file, yaml);
    return sluice({"run", file.string(), "--json"});
  }
};

// Answers every request with its own text as a JSON string (as an echo endpoint does), or
// with 401 when `required` is set and the request does not carry it. Its thread and the
// test's share state under a lock only: the CLI that connects runs in another process, so
// nothing else orders them.
class EchoServer {
public:
  explicit EchoServer(std::string required_header = {})
      : required_(std::move(required_header)),
        server_([this](ServerConnection& c) { return serve(c); }) {}

  std::string url(const std::string& path) const { return server_.url(path); }
  // The requests read so far.
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // Where `GET /away` redirects to.
  void redirect_to(std::string url) {
    std::lock_guard lock(mutex_);
    redirect_to_ = std::move(url);
  }

private:
  asio::awaitable<void> serve(ServerConnection& connection) {
    while (co_await connection.read_request()) {
      std::string redirect;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(connection.request);
        redirect = redirect_to_;
      }
      if (!required_.empty() && connection.request.find(required_) == std::string::npos)
        co_await connection.write("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
      else if (connection.request.starts_with("GET /away "))
        co_await connection.write("HTTP/1.1 302 Found\r\nLocation: " + redirect +
                                  "\r\nContent-Length: 0\r\n\r\n");
      else
        co_await connection.write(
            ok_response(Value(connection.request).to_json(), "Content-Type: application/json\r\n"));
    }
  }

  const std::string required_;
  std::mutex mutex_;
  std::string redirect_to_;
  std::vector<std::string> requests_;
  ScriptedServer server_;
};

std::string request_yaml(const std::string& url, const std::string& connection = "api") {
  return "version: 1\nname: t\nnodes:\n  call:\n    type: http.request\n    with: { url: \"" + url +
         "\", connection: " + connection + " }\noutputs:\n  echo: \"{{ call.body }}\"\n";
}

} // namespace

TEST_CASE("a token from standard input is sent in its header, and shown nowhere") {
  Workspace workspace;
  const std::string token = "tok-" + random_hex(12);
  workspace.secrets.push_back(token);
  EchoServer api, other;

  const Cli connected = workspace.sluice(
      {"connect", "token", "api", "--header", "X-Api-Key", "--scheme", "", "--origin", api.url("")},
      token + "\n");
  REQUIRE_MESSAGE(connected.status == 0, connected.err);
  CHECK(connected.out.find("Stored connection 'api'") != std::string::npos);
  CHECK(read_file(workspace.directory / "credentials.db").find(token) == std::string::npos);

  const Cli run = workspace.run(request_yaml(api.url("/whoami")));
  REQUIRE_MESSAGE(run.status == 0, run.err);
  REQUIRE(api.requests().size() == 1);
  CHECK(api.requests()[0].find("X-Api-Key: " + token + "\r\n") != std::string::npos);
  // The echo put the token into the answer; the output has it redacted.
  CHECK(run.out.find("X-Api-Key: [redacted]") != std::string::npos);

  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"connections", "list"}, {"connections", "show", "api"}}) {
    const Cli listed = workspace.sluice(command);
    CHECK(listed.out.find("token") != std::string::npos); // the provider's name, not the secret
  }

  // Kept to its origin: a request elsewhere is refused before anything is sent.
  const Cli elsewhere = workspace.run(request_yaml(other.url("/steal")));
  CHECK(elsewhere.status == 1);
  CHECK(elsewhere.err.find("only sent to " + api.url("")) != std::string::npos);
  CHECK(other.requests().empty());

  // A redirect to another origin goes on without the token.
  api.redirect_to(other.url("/landing"));
  const Cli redirected = workspace.run(request_yaml(api.url("/away")));
  REQUIRE_MESSAGE(redirected.status == 0, redirected.err);
  REQUIRE(other.requests().size() == 1);
  CHECK(other.requests()[0].find(token) == std::string::npos);
  CHECK(other.requests()[0].find("X-Api-Key") == std::string::npos);
}

TEST_CASE("connect token: a file, --replace, and what it refuses") {
  Workspace workspace;
  const std::string first = "first-" + random_hex(8), second = "second-" + random_hex(8);
  workspace.secrets.insert(workspace.secrets.end(), {first, second});
  write_file(workspace.directory / "token.txt", first + "\n");

  Cli cli = workspace.sluice(
      {"connect", "token", "gh", "--token-file", (workspace.directory / "token.txt").string()});
  REQUIRE_MESSAGE(cli.status == 0, cli.err);
  cli = workspace.sluice({"connect", "token", "gh"}, second);
  CHECK(cli.status == 1);
  CHECK(cli.err.find("--replace") != std::string::npos);
  cli = workspace.sluice({"connect", "token", "gh", "--replace"}, second);
  REQUIRE_MESSAGE(cli.status == 0, cli.err);

  EchoServer api;
  const Cli run = workspace.run(request_yaml(api.url("/"), "gh"));
  REQUIRE_MESSAGE(run.status == 0, run.err);
  REQUIRE(api.requests().size() == 1);
  CHECK(api.requests()[0].find("Authorization: Bearer " + second + "\r\n") != std::string::npos);

  cli = workspace.sluice({"connect", "token", "empty"}, "\n");
  CHECK(cli.status == 1);
  CHECK(cli.err.find("no token given") != std::string::npos);
  cli = workspace.sluice(
      {"connect", "token", "bad", "--header", "Bad Header", "--origin", "ftp://x"}, "t");
  CHECK(cli.status == 2);
  CHECK(cli.err.find("--header") != std::string::npos);
  CHECK(cli.err.find("--origin") != std::string::npos);
  cli = workspace.sluice({"connect", "token", "multi"}, "line one\nline two");
  CHECK(cli.status == 1);
  CHECK(cli.err.find("line break") != std::string::npos);

  const Cli missing = workspace.run(request_yaml(api.url("/"), "nobody"));
  CHECK(missing.status == 1);
  CHECK(missing.err.find("no connection named 'nobody'") != std::string::npos);
}

TEST_CASE("connections check asks the check URL with the token") {
  Workspace workspace;
  const std::string token = "good-" + random_hex(8), stale = "stale-" + random_hex(8);
  workspace.secrets.insert(workspace.secrets.end(), {token, stale});
  EchoServer api("Authorization: Bearer " + token + "\r\n");

  Cli cli = workspace.sluice({"connect", "token", "api", "--check-url", api.url("/user")}, token);
  REQUIRE_MESSAGE(cli.status == 0, cli.err);
  cli = workspace.sluice({"connections", "check", "api"});
  CHECK_MESSAGE(cli.status == 0, cli.err);
  CHECK(cli.out.find("accepted the token (HTTP 200)") != std::string::npos);

  cli = workspace.sluice({"connect", "token", "api", "--replace", "--check-url", api.url("/user")},
                         stale);
  REQUIRE_MESSAGE(cli.status == 0, cli.err);
  cli = workspace.sluice({"connections", "check", "api"});
  CHECK(cli.status == 1);
  CHECK(cli.err.find("refused the token (HTTP 401)") != std::string::npos);
  CHECK(cli.err.find("sluice connect token api --replace") != std::string::npos);
}
