// Operating the real `sluice serve` binary: run events over Server-Sent Events (live, replayed,
// resumed), /metrics, reloading on SIGHUP and on a changed file with a broken file keeping its
// previous version, TLS and the refusal of plain HTTP off loopback, the queue and per-client
// limits, `sluice runs --server`, and JSON log lines.

#include "serve_fixture.hpp"

#include "test_certificates.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <set>

using namespace serve_test;
using sluice::zoom_emulator::test::TestCertificates;

namespace {

// A GET read as it arrives, for streams that stay open: what a browser's EventSource does.
class RawStream {
public:
  RawStream(std::uint16_t port, const std::string& target, const std::string& token) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                "Authorization: Bearer " + token +
                                "\r\nAccept: text/event-stream\r\n\r\n";
    REQUIRE(::send(fd_, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  }
  ~RawStream() { ::close(fd_); }
  RawStream(const RawStream&) = delete;
  RawStream& operator=(const RawStream&) = delete;

  /// Reads until `text` has arrived (true), the server closed, or `timeout` passed.
  bool read_until(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(text) == std::string::npos) {
      if (closed_ || std::chrono::steady_clock::now() >= deadline)
        return false;
      read_some(deadline);
    }
    return true;
  }
  /// Reads until the server closes the stream (true) or `timeout` passes.
  bool read_to_end(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < deadline)
      read_some(deadline);
    return closed_;
  }
  const std::string& received() const { return received_; }
  /// What came after the headers.
  std::string body() const {
    const std::size_t end = received_.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : received_.substr(end + 4);
  }

private:
  void read_some(std::chrono::steady_clock::time_point deadline) {
    pollfd readable{fd_, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (::poll(&readable, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) <= 0)
      return;
    char chunk[4096];
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0)
      closed_ = true;
    else
      received_.append(chunk, static_cast<std::size_t>(got));
  }

  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

// The SSE messages of a stream, without comment lines (the keep-alives).
std::string messages(const std::string& body) {
  std::string out;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);)
    if (line.empty() || line.front() != ':')
      out += line + "\n";
  return out;
}

std::string accepted_id(const HttpResult& answer) {
  REQUIRE_MESSAGE(answer.status / 100 == 2, answer.body);
  return answer.json()["id"].to_text();
}

// The value of the Prometheus series `series` (name and labels, exactly), or -1.
double metric(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(series + " "))
      return std::stod(line.substr(series.size() + 1));
  return -1;
}

Value pipelines(HttpClient& client, const std::string& token) {
  const HttpResult answer = client.api("GET", "/v1/pipelines", token);
  REQUIRE(answer.status == 200);
  return answer.json();
}

const Value* listed(const Value& list, const std::string& name) {
  for (const Value& pipeline : list["pipelines"].as_array())
    if (pipeline["name"].to_text() == name)
      return &pipeline;
  return nullptr;
}

// Polls `condition` for up to ten seconds.
template <class Condition> bool eventually(Condition condition) {
  for (int i = 0; i < 1000; ++i) {
    if (condition())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

} // namespace

TEST_CASE("events: a run's events stream live, are replayed once it has ended, and resume "
          "after Last-Event-ID") {
  Site site;
  site.add("slow", slow("slow", ""));
  site.add("hello", hello);
  Server server(site);
  const std::string token = site.token();
  HttpClient client(server.port());

  SUBCASE("live while it runs, then the same messages replayed") {
    const std::string id = accepted_id(
        client.api("POST", "/v1/pipelines/slow/runs", token, R"({"inputs":{"ms":30000}})"));
    RawStream live(server.port(), "/v1/runs/" + id + "/events", token);
    REQUIRE_MESSAGE(live.read_until("event: node_started", 10s), live.received());
    CHECK(live.received().starts_with("HTTP/1.1 200"));
    CHECK(live.received().find("Content-Type: text/event-stream") != std::string::npos);
    // Streamed before the end: the run is still going.
    CHECK(client.api("GET", "/v1/runs/" + id, token).json()["status"].to_text() == "running");
    CHECK(client.api("POST", "/v1/runs/" + id + "/cancel", token).status == 200);
    REQUIRE(live.read_to_end(10s));
    const std::string streamed = messages(live.body());
    CHECK(streamed.find("id: 0\nevent: run_started\n") == 0);
    CHECK(streamed.find("\"node\":\"wait\"") != std::string::npos);
    CHECK(streamed.find("event: run_finished\ndata: {\"kind\":\"run_finished\"") !=
          std::string::npos);
    CHECK(streamed.find("\"status\":\"cancelled\"") != std::string::npos);

    const HttpResult replay = client.api("GET", "/v1/runs/" + id + "/events", token);
    CHECK(replay.status == 200);
    CHECK(messages(replay.body) == streamed);

    HttpClient resumed(server.port());
    const HttpResult after =
        resumed.request("GET", "/v1/runs/" + id + "/events", {},
                        {{"Authorization", "Bearer " + token}, {"Last-Event-ID", "1"}});
    CHECK(after.body.starts_with("id: 2\n"));
    CHECK(streamed.ends_with(messages(after.body)));
  }

  SUBCASE("a finished run: every node's events, with times") {
    const std::string id =
        accepted_id(client.api("POST", "/v1/pipelines/hello/runs?wait=10", token));
    const HttpResult replay = client.api("GET", "/v1/runs/" + id + "/events", token);
    CHECK(replay.body.find("event: node_started\ndata: {\"kind\":\"node_started\",\"time\":\"20") !=
          std::string::npos);
    CHECK(replay.body.find("event: node_succeeded") != std::string::npos);
    CHECK(replay.body.find("\"status\":\"succeeded\"") != std::string::npos);
  }

  SUBCASE("unknown runs and missing tokens") {
    CHECK(client.api("GET", "/v1/runs/nope/events", token).status == 404);
    CHECK(client.request("GET", "/v1/runs/nope/events").status == 401);
  }
}

TEST_CASE("metrics: runs by pipeline and status, node durations, queue depth and HTTP answers") {
  Site site;
  site.add("hello", hello);
  site.add("slow", slow("slow", "concurrency: { limit: 1, when_full: queue }\n"));
  Server server(site);
  const std::string token = site.token();
  HttpClient client(server.port());
  CHECK(client.request("GET", "/metrics").status == 401);
  for (int i = 0; i < 2; ++i)
    accepted_id(client.api("POST", "/v1/pipelines/hello/runs?wait=10", token));
  const std::string running = accepted_id(
      client.api("POST", "/v1/pipelines/slow/runs", token, R"({"inputs":{"ms":30000}})"));
  const std::string waiting =
      accepted_id(client.api("POST", "/v1/pipelines/slow/runs", token, R"({"inputs":{"ms":1}})"));

  const HttpResult scraped = client.api("GET", "/metrics", token);
  REQUIRE(scraped.status == 200);
  CHECK(scraped.header("content-type").starts_with("text/plain; version=0.0.4"));
  const std::string& text = scraped.body;
  CHECK(metric(text, R"(sluice_runs_total{pipeline="hello",status="succeeded"})") == 2);
  CHECK(metric(text, R"(sluice_runs_accepted_total{pipeline="slow"})") == 2);
  CHECK(metric(text, "sluice_runs_running") == 1);
  CHECK(metric(text, "sluice_runs_queued") == 1);
  CHECK(metric(text, R"(sluice_node_duration_seconds_count{pipeline="hello",node="say"})") == 2);
  CHECK(metric(text,
               R"(sluice_node_duration_seconds_bucket{pipeline="hello",node="say",le="+Inf"})") ==
        2);
  CHECK(metric(text, R"(sluice_http_requests_total{code="401"})") == 1);
  CHECK(metric(text, R"(sluice_http_requests_total{code="200"})") >= 2);
  // Every line is a comment or `series value`.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE "))
      continue;
    const std::size_t space = line.rfind(' ');
    REQUIRE_MESSAGE(space != std::string::npos, line);
    CHECK_NOTHROW(std::stod(line.substr(space + 1)));
  }

  CHECK(client.api("POST", "/v1/runs/" + running + "/cancel", token).status == 200);
  CHECK(wait_until_final(client, token, waiting).json()["status"].to_text() == "succeeded");
  const std::string after = client.api("GET", "/metrics", token).body;
  CHECK(metric(after, R"(sluice_runs_total{pipeline="slow",status="cancelled"})") == 1);
  CHECK(metric(after, R"(sluice_runs_total{pipeline="slow",status="succeeded"})") == 1);
  CHECK(metric(after, "sluice_runs_queued") == 0);
}

TEST_CASE("reload: SIGHUP or a changed file serves the new version; a broken file keeps the "
          "previous one") {
  Site site;
  site.add("hello", hello);
  const auto greet = [&](HttpClient& client, const std::string& token) {
    const HttpResult answer = client.api("POST", "/v1/pipelines/hello/runs?wait=10", token);
    REQUIRE_MESSAGE(answer.status == 200, answer.body);
    return answer.json()["outputs"]["message"].to_text();
  };

  SUBCASE("on SIGHUP") {
    Server server(site, {"--watch", "0"});
    const std::string token = site.token();
    HttpClient client(server.port());
    const std::string first_hash = (*listed(pipelines(client, token), "hello"))["hash"].to_text();

    site.add("hello", "version: 1\nname: hello\nnodes:\n  say: { type: core.nope }\n");
    site.add("extra", "version: 1\nname: extra\nnodes: [\n");
    server.signal(SIGHUP);
    REQUIRE(eventually(
        [&] { return !(*listed(pipelines(client, token), "hello"))["reload_error"].is_null(); }));
    const Value list = pipelines(client, token);
    const Value& kept = *listed(list, "hello");
    CHECK(kept["hash"].to_text() == first_hash);
    CHECK(kept["reload_error"].to_text().find("hello.yaml:4:") != std::string::npos);
    CHECK(kept["reload_error"].to_text().find("core.nope") != std::string::npos);
    REQUIRE(list["broken_files"].as_array().size() == 1);
    CHECK(list["broken_files"][0]["file"].to_text().ends_with("extra.yaml"));
    CHECK(greet(client, token) == "Hello world"); // the previous version still runs
    CHECK(server.log().find("does not validate; still serving its previous version") !=
          std::string::npos);

    site.add("hello",
             "version: 1\nname: hello\n"
             "inputs: { who: { type: string, default: world } }\n"
             "nodes:\n  say: { type: core.template, with: { template: \"Hi {{ inputs.who }}\" } }\n"
             "outputs: { message: \"{{ say.text }}\" }\n");
    std::filesystem::remove(site.dir / "pipelines" / "extra.yaml");
    server.signal(SIGHUP);
    REQUIRE(eventually([&] {
      const Value list = pipelines(client, token);
      const Value* now = listed(list, "hello");
      return (*now)["hash"].to_text() != first_hash && (*now)["reload_error"].is_null();
    }));
    CHECK(pipelines(client, token)["broken_files"].as_array().empty());
    CHECK(greet(client, token) == "Hi world");
  }

  SUBCASE("a changed, added or removed file, without a signal") {
    Server server(site, {"--watch", "0.1"});
    const std::string token = site.token();
    HttpClient client(server.port());
    site.add("second", "version: 1\nname: second\nnodes:\n"
                       "  say: { type: core.template, with: { template: two } }\n"
                       "outputs: { message: \"{{ say.text }}\" }\n");
    REQUIRE(eventually([&] { return listed(pipelines(client, token), "second") != nullptr; }));
    CHECK(client.api("POST", "/v1/pipelines/second/runs?wait=10", token)
              .json()["outputs"]["message"]
              .to_text() == "two");
    std::filesystem::remove(site.dir / "pipelines" / "second.yaml");
    REQUIRE(eventually([&] { return listed(pipelines(client, token), "second") == nullptr; }));
    CHECK(client.api("POST", "/v1/pipelines/second/runs", token).status == 404);
    CHECK(server.log().find("no longer serving pipeline 'second'") != std::string::npos);
  }
}

TEST_CASE("TLS: --tls-cert and --tls-key serve HTTPS; plain HTTP off loopback is refused") {
  Site site;
  site.add("hello", hello);
  const TestCertificates& certificates = TestCertificates::get();

  SUBCASE("HTTPS with the given certificate; plain HTTP gets no answer") {
    Server server(site, {"--tls-cert", certificates.good_cert, "--tls-key", certificates.good_key});
    CHECK(server.log().find("on https://127.0.0.1:") != std::string::npos);
    const std::string token = site.token();
    HttpClient secure(server.port(), /*tls=*/true, certificates.ca);
    CHECK(secure.request("GET", "/healthz").status == 200);
    const HttpResult run = secure.api("POST", "/v1/pipelines/hello/runs?wait=10", token);
    CHECK(run.json()["outputs"]["message"].to_text() == "Hello world");
    HttpClient plain(server.port());
    CHECK(plain.request("GET", "/healthz").status == 0);
  }

  SUBCASE("a non-loopback address needs TLS or --insecure-listen") {
    CHECK(site.sluice_status(
              {"serve", (site.dir / "pipelines").string(), "--listen", "0.0.0.0:0"}) == 2);
    const std::string error = read_all(site.dir / "cli.err");
    CHECK(error.find("refusing to serve plain HTTP on 0.0.0.0") != std::string::npos);
    CHECK(error.find("--tls-cert") != std::string::npos);
  }

  SUBCASE("a key that does not fit is refused, naming the file and not its contents") {
    CHECK(site.sluice_status({"serve", (site.dir / "pipelines").string(), "--listen", "127.0.0.1:0",
                              "--tls-cert", certificates.good_cert, "--tls-key",
                              certificates.wrong_key}) == 2);
    const std::string error = read_all(site.dir / "cli.err");
    CHECK(error.find(certificates.wrong_key) != std::string::npos);
    CHECK(error.find("does not belong to the certificate") != std::string::npos);
    CHECK(error.find("PRIVATE KEY") == std::string::npos);
  }
}

TEST_CASE("limits: a full queue answers 503, a client with too many requests 429") {
  Site site;
  site.add("slow", slow("slow", "concurrency: { limit: 1, when_full: queue }\n"));
  site.add("free", slow("free", ""));

  SUBCASE("--max-queued-runs") {
    Server server(site, {"--max-queued-runs", "2"});
    const std::string token = site.token();
    HttpClient client(server.port());
    const std::string body = R"({"inputs":{"ms":30000}})";
    for (int i = 0; i < 3; ++i) // one runs, two wait
      accepted_id(client.api("POST", "/v1/pipelines/slow/runs", token, body));
    const HttpResult refused = client.api("POST", "/v1/pipelines/slow/runs", token, body);
    CHECK(refused.status == 503);
    CHECK(refused.header("retry-after") == "5");
    CHECK(refused.json()["error"].to_text().find("2 runs waiting") != std::string::npos);
    // Runs that start at once are not held back by the queue.
    accepted_id(client.api("POST", "/v1/pipelines/free/runs", token, R"({"inputs":{"ms":1}})"));
  }

  SUBCASE("--max-requests-per-client") {
    Server server(site, {"--max-requests-per-client", "2"});
    const std::string token = site.token();
    std::vector<std::future<HttpResult>> waiting;
    for (int i = 0; i < 2; ++i)
      waiting.push_back(std::async(std::launch::async, [&] {
        // Refused while the poller below holds a slot: asked again until it is let in
        // (a request refused for the limit starts no run).
        HttpClient client(server.port());
        HttpResult answer;
        do
          answer = client.api("POST", "/v1/pipelines/free/runs?wait=60", token,
                              R"({"inputs":{"ms":60000}})");
        while (answer.status == 429);
        return answer;
      }));
    HttpClient client(server.port());
    HttpResult refused;
    REQUIRE(eventually([&] {
      refused = client.api("GET", "/v1/runs", token);
      return refused.status == 429;
    }));
    CHECK(refused.header("retry-after") == "1");
    CHECK(refused.json()["error"].to_text().find("2 requests in progress") != std::string::npos);
    server.stop(SIGKILL);
    for (auto& answer : waiting)
      CHECK(answer.get().connection_lost);
  }
}

TEST_CASE("sluice runs --server: list, show and cancel through a running server's API") {
  Site site;
  site.add("hello", hello);
  site.add("slow", slow("slow", ""));
  Server server(site);
  const std::string token = site.token();
  HttpClient client(server.port());
  const std::string done =
      accepted_id(client.api("POST", "/v1/pipelines/hello/runs?wait=10", token));
  const std::string going = accepted_id(
      client.api("POST", "/v1/pipelines/slow/runs", token, R"({"inputs":{"ms":30000}})"));
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());

  CHECK(site.sluice_status({"runs", "list", "--server", url}) == 2);
  CHECK(read_all(site.dir / "cli.err").find("SLUICE_API_TOKEN") != std::string::npos);
  site.extra_environment = {"SLUICE_API_TOKEN=not-a-token"};
  CHECK(site.sluice_status({"runs", "list", "--server", url}) == 2);
  CHECK(read_all(site.dir / "cli.err").find("401") != std::string::npos);

  site.extra_environment = {"SLUICE_API_TOKEN=" + token};
  const std::string list = site.sluice({"runs", "list", "--server", url});
  CHECK(list.find(done) != std::string::npos);
  CHECK(list.find(going) != std::string::npos);
  const Value shown =
      Value::parse_json(site.sluice({"runs", "show", done, "--json", "--server", url}));
  CHECK(shown["outputs"]["message"].to_text() == "Hello world");
  // A running run: only its server can stop it, and through --server that is who is asked.
  CHECK(site.sluice_status({"runs", "cancel", going}) == 2);
  CHECK(site.sluice({"runs", "cancel", going, "--server", url}).find("cancel requested") !=
        std::string::npos);
  CHECK(wait_until_final(client, token, going).json()["status"].to_text() == "cancelled");
  CHECK(site.sluice_status({"runs", "show", "nope", "--server", url}) == 2);
  CHECK(read_all(site.dir / "cli.err").find(token) == std::string::npos);

  server.stop(SIGTERM);
  CHECK(site.sluice_status({"runs", "list", "--server", url}) == 1);
  CHECK(read_all(site.dir / "cli.err").find("cannot reach the server") != std::string::npos);
}

TEST_CASE("--log-format json: one JSON object per line") {
  Site site;
  site.add("hello", hello);
  Server server(site, {"--log-format", "json"});
  CHECK(server.stop(SIGTERM) == 0);
  std::istringstream lines(server.log());
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const Value entry = Value::parse_json(line);
    CHECK(entry["time"].to_text().ends_with("Z"));
    CHECK(entry["level"].to_text() == "info");
    CHECK(!entry["message"].to_text().empty());
  }
  CHECK(count >= 3); // serving, stopping, stopped
}

TEST_CASE("the HTTP layer's refusals: headers too large, a full pipeline, a webhook's method") {
  Site site;
  site.add("one", slow("one", "concurrency: { limit: 1, when_full: fail }\n"
                              "triggers:\n  - webhook: { path: /hooks/one, auth: none }\n"));
  Server server(site);
  const std::string token = site.token();
  HttpClient client(server.port());

  HttpClient big(server.port());
  const HttpResult too_large =
      big.request("GET", "/healthz", {}, {{"X-Padding", std::string(20 * 1024, 'x')}});
  CHECK(too_large.status == 431);
  CHECK(too_large.json()["error"].to_text().find("16384 bytes") != std::string::npos);

  const std::string going = accepted_id(
      client.api("POST", "/v1/pipelines/one/runs", token, R"({"inputs":{"ms":30000}})"));
  const HttpResult full = client.api("POST", "/v1/pipelines/one/runs", token);
  CHECK(full.status == 429);
  CHECK(full.header("retry-after") == "5");
  CHECK(full.json()["error"].to_text().find("when_full: fail") != std::string::npos);
  const HttpResult hook_full = client.request("POST", "/hooks/one", "{}");
  CHECK(hook_full.status == 429);

  const HttpResult get_hook = client.request("GET", "/hooks/one");
  CHECK(get_hook.status == 405);
  CHECK(client.api("POST", "/v1/runs/" + going + "/cancel", token).status == 200);
}

TEST_CASE("a schedule fires in the real server at the next minute, once") {
  Site site;
  site.add("tick", "version: 1\nname: tick\n"
                   "nodes:\n  say: { type: core.template, with: { template: tock } }\n"
                   "outputs: { said: \"{{ say.text }}\" }\n"
                   "triggers:\n  - schedule: { cron: \"* * * * *\", missed: none }\n");
  Server server(site);
  const std::string token = site.token();
  HttpClient client(server.port());
  // At most a minute of waiting: the next whole minute, plus the run.
  Value runs;
  for (int i = 0; i < 700; ++i) {
    runs = client.api("GET", "/v1/runs?pipeline=tick&status=succeeded", token).json()["runs"];
    if (!runs.as_array().empty())
      break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE_MESSAGE(runs.as_array().size() >= 1, server.log());
  const Value& run = runs[runs.as_array().size() - 1]; // the first one
  CHECK(run["trigger"].to_text().starts_with("schedule * * * * * (UTC) at "));
  CHECK(run["fire_time"].to_text().ends_with(":00Z"));
  CHECK(run["outputs"]["said"].to_text() == "tock");
  // Each fire time once.
  std::set<std::string> times;
  for (const Value& each : runs.as_array())
    CHECK(times.insert(each["fire_time"].to_text()).second);
}
