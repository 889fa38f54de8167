// The engine's HTTP interceptor seam with a real Zoom run: an embedding application (this
// test, in-process) loads the built plugin, runs a pipeline against the real emulator, and its
// interceptor sees every request and answer with the secrets redacted; a refusing interceptor
// keeps a create from ever reaching Zoom.

#include "plugin_test_support.hpp"

#include <sluice/engine.hpp>
#include <sluice/http_interceptor.hpp>
#include <sluice/plugin_loading.hpp>

#include <doctest/doctest.h>

#include <mutex>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::zoom::plugin_test;

namespace {

constexpr const char* create_get_delete = R"(version: 1
name: intercepted
nodes:
  created:
    type: zoom.create_meeting
    with: { topic: Intercepted, start_time: "2031-05-01T10:00:00Z" }
  fetched:
    type: zoom.get_meeting
    with: { meeting_id: "{{ created.id }}" }
  deleted:
    type: zoom.delete_meeting
    needs: [fetched]
    with: { meeting_id: "{{ created.id }}" }
)";

// Everything an interceptor was shown, as text, in the order it came.
struct Recorder : HttpInterceptor {
  HttpDecision before_send(const HttpExchange& exchange) override {
    std::lock_guard lock(mutex);
    std::string line = exchange.node + " " + exchange.request.method + " " + exchange.request.url;
    for (const HttpHeader& header : exchange.request.headers)
      line += "\n  " + header.name + ": " + header.value;
    line += "\n  " + exchange.request.body;
    sent.push_back(line);
    if (refuse_creates && exchange.request.method == "POST" &&
        exchange.request.url.ends_with("/meetings"))
      return HttpDecision::refuse("this run may not create meetings");
    return HttpDecision::send();
  }
  void after_receive(const HttpExchange& exchange, const HttpResponse& response) override {
    std::lock_guard lock(mutex);
    std::string line = exchange.node + " " + std::to_string(response.status);
    for (const HttpHeader& header : response.headers)
      line += "\n  " + header.name + ": " + header.value;
    line += "\n  " + response.body;
    received.push_back(line);
  }
  void after_failure(const HttpExchange& exchange, const std::string& message) override {
    std::lock_guard lock(mutex);
    failed.push_back(exchange.node + " " + message);
  }
  std::string everything() {
    std::lock_guard lock(mutex);
    std::string text;
    for (const auto* lines : {&sent, &received, &failed})
      for (const std::string& line : *lines)
        text += line + "\n";
    return text;
  }

  bool refuse_creates = false;
  std::mutex mutex;
  std::vector<std::string> sent, received, failed;
};

struct EmbeddedRun {
  std::unique_ptr<Engine> engine;
  RunResult result;
};

// The pipeline run in this process with the workspace's store and the built plugin.
EmbeddedRun run_embedded(Workspace& workspace, std::shared_ptr<Recorder> recorder) {
  EngineOptions options;
  options.credentials = workspace.open_store();
  EmbeddedRun run;
  run.engine = std::make_unique<Engine>(options);
  bool zoom_loaded = false;
  for (const PluginFileReport& report : run.engine->load_plugins({SLUICE_PLUGIN_DIR}))
    zoom_loaded =
        zoom_loaded || (report.name == "zoom" && report.status == PluginFileStatus::loaded);
  REQUIRE(zoom_loaded);
  const Pipeline pipeline = run.engine->load_string(create_get_delete);
  RunOptions run_options;
  run_options.http_interceptor = std::move(recorder);
  run.result = run.engine->run(pipeline, std::move(run_options));
  return run;
}

} // namespace

TEST_CASE("an interceptor sees every request of a Zoom run, refresh included, with no secret") {
  Emulator emulator({"--auto-approve", "--plan", "business"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  const std::optional<Connection> before = workspace.stored("demo");
  REQUIRE(before);
  emulator.expire_tokens(); // the first call is refused with 401: a refresh goes through too
  const std::int64_t token_requests = emulator.requests("POST /oauth/token");
  const std::int64_t api_requests = emulator.api_requests();

  auto recorder = std::make_shared<Recorder>();
  const EmbeddedRun run = run_embedded(workspace, recorder);
  REQUIRE_MESSAGE(run.result.ok(), run.result.error);

  // Every request the emulator got, the interceptor saw, and each one's answer.
  const std::int64_t sent_to_zoom = emulator.requests("POST /oauth/token") - token_requests +
                                    emulator.api_requests() - api_requests;
  CHECK(static_cast<std::int64_t>(recorder->sent.size()) == sent_to_zoom);
  CHECK(recorder->received.size() == recorder->sent.size());
  CHECK(recorder->failed.empty());
  const std::string seen = recorder->everything();
  CAPTURE(seen);
  CHECK(seen.find("created POST " + emulator.api_base_url() + "/users/me/meetings") !=
        std::string::npos);
  CHECK(seen.find("created POST " + emulator.url() + "/oauth/token") != std::string::npos);
  CHECK(seen.find("fetched GET ") != std::string::npos);
  CHECK(seen.find("deleted DELETE ") != std::string::npos);
  CHECK(seen.find("Authorization: [redacted]") != std::string::npos);
  CHECK(seen.find(R"("access_token":"[redacted]")") != std::string::npos);
  CHECK(seen.find("refresh_token=[redacted]") != std::string::npos);

  // No secret the test knows of appears: the client secret, the tokens before the refresh and
  // the rotated ones after it.
  const std::optional<Connection> after = workspace.stored("demo");
  REQUIRE(after);
  REQUIRE(after->refresh_token.reveal() != before->refresh_token.reveal());
  for (const std::string& secret :
       {std::string(client_secret), before->access_token.reveal(), before->refresh_token.reveal(),
        after->access_token.reveal(), after->refresh_token.reveal()}) {
    REQUIRE(secret.size() >= 8);
    CHECK(seen.find(secret) == std::string::npos);
  }
}

TEST_CASE("a refusing interceptor keeps a create from being sent") {
  Emulator emulator({"--auto-approve", "--plan", "business"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  const std::int64_t creates = emulator.requests("POST /v2/users/{userId}/meetings");

  auto recorder = std::make_shared<Recorder>();
  recorder->refuse_creates = true;
  const EmbeddedRun run = run_embedded(workspace, recorder);
  CHECK(run.result.status == RunStatus::failed);
  CHECK(run.result.failed_node == "created");
  CHECK(run.result.error.find("this run may not create meetings") != std::string::npos);
  const NodeResult* created = run.result.node("created");
  REQUIRE(created);
  CHECK(created->category == ErrorCategory::permanent);
  CHECK(created->attempts == 1);                                      // a refusal is not retried
  CHECK(run.result.node("fetched")->status == NodeStatus::cancelled); // fail-fast
  CHECK(recorder->sent.size() == 1); // the create, which never left
  CHECK(emulator.requests("POST /v2/users/{userId}/meetings") == creates);
  REQUIRE(recorder->failed.size() == 1);
  CHECK(recorder->failed[0].find("refused before sending") != std::string::npos);
}
