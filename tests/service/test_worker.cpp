// `sluice worker` processes on a real PostgreSQL server, with a `sluice serve` that runs
// nothing itself (--worker-runs 0): every accepted run is run by a worker; a worker killed
// with SIGKILL in the middle of a run loses it when its lease runs out, and another worker
// resumes it after the nodes it had finished; a node that changes things outside the run and
// may have been running when its worker died is not run twice: the run ends as interrupted,
// naming it, unless its type reconciles (Zoom's create adopts the meeting its lost attempt
// made).

#include "postgres_site.hpp"
#include "zoom_site.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace serve_test;
using sluice::zoom_emulator::test::EmulatorProcess;

namespace {

// One `sluice worker` process, stopped with SIGKILL at the end unless stopped before.
class WorkerProcess {
public:
  explicit WorkerProcess(const Site& site, const std::string& name) {
    log_ = site.dir / ("worker-" + name + ".err");
    pid_ = site.spawn({SLUICE_CLI, "worker", (site.dir / "pipelines").string(), "--lease", "2",
                       "--concurrency", "4", "--grace", "1"},
                      site.dir / ("worker-" + name + ".out"), log_);
    for (int i = 0; i < 1000 && log().find("working:") == std::string::npos; ++i)
      std::this_thread::sleep_for(10ms);
    REQUIRE_MESSAGE(log().find("working:") != std::string::npos, log());
  }
  ~WorkerProcess() {
    if (const std::string text = log(); text.find("Sanitizer") != std::string::npos)
      std::cerr << "--- the worker's log:\n" << text << "---\n";
    kill();
  }
  void kill() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string log() const { return read_all(log_); }
  // SIGTERM, then waits: the exit status (128 + signal when a signal ended it).
  int terminate() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

private:
  fs::path log_;
  pid_t pid_ = -1;
};

// A TCP port that accepts connections (the kernel completes them) but never answers: a
// request to it is in flight until its timeout.
class SilentPort {
public:
  SilentPort() {
    socket_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(socket_, 16) == 0);
    REQUIRE(::getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
  }
  ~SilentPort() { ::close(socket_); }
  std::uint16_t port() const { return port_; }
  // Whether a connection arrived (a request is on its way) within `timeout`.
  bool connected_within(std::chrono::milliseconds timeout) const {
    pollfd waiting{socket_, POLLIN, 0};
    return ::poll(&waiting, 1, static_cast<int>(timeout.count())) == 1;
  }

private:
  int socket_ = -1;
  std::uint16_t port_ = 0;
};

std::string submit(HttpClient& client, const std::string& token, const std::string& pipeline,
                   const Value& inputs = Value(Object{})) {
  const HttpResult accepted = client.api("POST", "/v1/pipelines/" + pipeline + "/runs", token,
                                         Value(Object{{"inputs", inputs}}).to_json());
  REQUIRE_MESSAGE(accepted.status == 202, accepted.body);
  CHECK(accepted.json()["status"].to_text() == "queued");
  return accepted.json()["id"].to_text();
}

// Waits until run `id` has the status `wanted` or has ended ("ended": only that), for up to
// `seconds`.
HttpResult wait_for_status(HttpClient& client, const std::string& token, const std::string& id,
                           const std::string& wanted, int seconds) {
  HttpResult run;
  for (int i = 0; i < seconds * 20; ++i) {
    run = client.api("GET", "/v1/runs/" + id, token);
    const std::string status = run.json()["status"].to_text();
    if (status == wanted || (status != "queued" && status != "running"))
      break;
    std::this_thread::sleep_for(50ms);
  }
  return run;
}

// Two nodes and a pause between: a run to kill a worker in.
const std::string paused =
    "version: 1\nname: paused\n"
    "inputs: { who: { type: string, default: world } }\n"
    "nodes:\n"
    "  first: { type: core.template, with: { template: \"Hello {{ inputs.who }}\" } }\n"
    "  pause: { type: core.delay, needs: [first], with: { ms: 2500 } }\n"
    "  last: { type: core.template, needs: [pause], with: { template: \"{{ first.text }}!\" } }\n"
    "outputs: { message: \"{{ last.text }}\" }\n";

} // namespace

TEST_CASE("workers run every run a server accepts, each once") {
  PostgresSite site;
  site.add("hello", hello);
  const std::string token = site.token();
  Server server(site, {"--worker-runs", "0"}); // accepts, runs nothing
  WorkerProcess one(site, "one");
  WorkerProcess two(site, "two");
  HttpClient client(server.port());
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i)
    ids.push_back(submit(client, token, "hello", Object{{"who", "w" + std::to_string(i)}}));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const HttpResult run = wait_for_status(client, token, ids[i], "ended", 60);
    CHECK_MESSAGE(run.json()["status"].to_text() == "succeeded", run.body);
    CHECK(run.json()["outputs"]["message"].to_text() == "Hello w" + std::to_string(i));
  }
  CHECK(server.log().find("working:") == std::string::npos); // the server ran none
  // ?wait= answers with the ending of a run a worker ran.
  const HttpResult waited =
      client.api("POST", "/v1/pipelines/hello/runs?wait=10", token, R"({"inputs":{}})");
  CHECK(waited.status == 200);
  CHECK(waited.json()["outputs"]["message"].to_text() == "Hello world");
  // Workers stop gracefully: SIGTERM, exit 0.
  CHECK(one.terminate() == 0);
  CHECK(two.terminate() == 0);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("a worker killed in the middle of a run: another resumes it after its lease") {
  PostgresSite site;
  site.add("paused", paused);
  const std::string token = site.token();
  Server server(site, {"--worker-runs", "0"});
  HttpClient client(server.port());
  std::string id;
  {
    WorkerProcess doomed(site, "doomed");
    id = submit(client, token, "paused", Object{{"who", "Ada"}});
    const HttpResult running = wait_for_status(client, token, id, "running", 10);
    REQUIRE(running.json()["status"].to_text() == "running");
    std::this_thread::sleep_for(1s); // `first` has finished, `pause` is going
    doomed.kill();
  }
  CHECK(client.api("GET", "/v1/runs/" + id, token).json()["status"].to_text() == "running");
  WorkerProcess heir(site, "heir");
  const HttpResult run = wait_for_status(client, token, id, "ended", 60);
  CHECK_MESSAGE(run.json()["status"].to_text() == "succeeded", run.body);
  CHECK(run.json()["outputs"]["message"].to_text() == "Hello Ada!");
  CHECK_MESSAGE(heir.log().find("resuming run " + id + " after the 1 nodes it had finished") !=
                    std::string::npos,
                heir.log());
}

TEST_CASE("a run whose worker died during a request that changes things ends interrupted") {
  PostgresSite site;
  site.extra_environment.push_back("SLUICE_PLUGIN_PATH=" SLUICE_PLUGIN_DIR);
  const SilentPort silent;
  site.add("poster", "version: 1\nname: poster\n"
                     "nodes:\n"
                     "  first: { type: core.template, with: { template: ready } }\n"
                     "  post: { type: http.request, needs: [first], with: { method: POST, url: "
                     "\"http://127.0.0.1:" +
                         std::to_string(silent.port()) +
                         "/orders\", text: \"{{ first.text }}\", timeout: 60s } }\n");
  const std::string token = site.token();
  Server server(site, {"--worker-runs", "0"});
  HttpClient client(server.port());
  std::string id;
  {
    WorkerProcess doomed(site, "doomed");
    id = submit(client, token, "poster");
    REQUIRE(silent.connected_within(30s)); // the POST is on its way and waits for an answer
    doomed.kill();
  }
  WorkerProcess heir(site, "heir");
  const HttpResult run = wait_for_status(client, token, id, "ended", 60);
  CHECK_MESSAGE(run.json()["status"].to_text() == "interrupted", run.body);
  CHECK(run.json()["error"].to_text().find("node 'post' may or may not have run") !=
        std::string::npos);
}

TEST_CASE("a create whose worker died after Zoom made the meeting: the heir adopts it") {
  // The emulator makes the meeting, then sends its answer slowly: the worker dies while it
  // waits. The create is not idempotent, but it reconciles: resumed elsewhere, it looks for
  // the meeting its lost attempt made (since that attempt's recorded start) before creating.
  EmulatorProcess emulator(
      {"--auto-approve", "--no-rate-limits", "--faults",
       R"({"faults": [{"kind": "slow_body", "method": "POST", "path": "/v2/users", "ms": 60000}]})"});
  PostgresSite site;
  site.add("meet",
           "version: 1\nname: meet\n"
           "nodes:\n"
           "  create:\n"
           "    type: zoom.create_meeting\n"
           "    with: { topic: \"standup after a crash\", type: 2, start_time: "
           "\"2030-01-15T09:00:00Z\", duration: 15 }\n"
           "outputs: { id: \"{{ create.id }}\", reconciled: \"{{ create.reconciled }}\" }\n");
  connect_to_emulator(site, emulator, "work");
  const std::string token = site.token();
  Server server(site, {"--worker-runs", "0"});
  HttpClient client(server.port());
  HttpClient to_emulator(emulator.port());
  const auto created = [&] {
    return to_emulator.request("GET", "/_emulator/counters").json()["meetings_created"].as_int();
  };
  std::string id;
  {
    WorkerProcess doomed(site, "doomed");
    id = submit(client, token, "meet");
    for (int i = 0; i < 600 && created() == 0; ++i)
      std::this_thread::sleep_for(50ms);
    REQUIRE(created() == 1); // made, and its answer is on its slow way
    doomed.kill();
  }
  to_emulator.request("DELETE", "/_emulator/faults");
  WorkerProcess heir(site, "heir");
  const HttpResult run = wait_for_status(client, token, id, "ended", 60);
  REQUIRE_MESSAGE(run.json()["status"].to_text() == "succeeded", run.body);
  CHECK(run.json()["outputs"]["reconciled"].to_text() == "true");
  CHECK(created() == 1); // adopted, not made twice
  CHECK_MESSAGE(heir.log().find("resuming run " + id) != std::string::npos, heir.log());
}

TEST_CASE("a run on a worker is cancelled from the API or from sluice runs cancel") {
  PostgresSite site;
  site.add("slow", slow("slow", ""));
  const std::string token = site.token();
  Server server(site, {"--worker-runs", "0"});
  WorkerProcess worker(site, "one");
  HttpClient client(server.port());
  const std::string by_api = submit(client, token, "slow", Object{{"ms", 60000}});
  const std::string by_cli = submit(client, token, "slow", Object{{"ms", 60000}});
  REQUIRE(wait_for_status(client, token, by_api, "running", 10).json()["status"].to_text() ==
          "running");
  REQUIRE(wait_for_status(client, token, by_cli, "running", 10).json()["status"].to_text() ==
          "running");
  CHECK(client.api("POST", "/v1/runs/" + by_api + "/cancel", token).status == 200);
  CHECK(site.sluice({"runs", "cancel", by_cli}).find("cancel requested") != std::string::npos);
  for (const std::string& id : {by_api, by_cli}) {
    const HttpResult run = wait_for_status(client, token, id, "ended", 20);
    CHECK_MESSAGE(run.json()["status"].to_text() == "cancelled", run.body);
  }
}
