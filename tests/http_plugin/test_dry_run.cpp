// Dry runs (RunOptions::dry_run) in an engine with the http plugin loaded from disk, against a
// scripted server on 127.0.0.1 that counts what actually arrived: reads go out, writes are
// held back and shown, offline nothing goes out, and types that cannot show their effects are
// never run.

#include "http_plugin_engine.hpp"
#include "http_test_support.hpp"

#include <sluice/engine.hpp>
#include <sluice/http_interceptor.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <mutex>

using namespace sluice;
using sluice::http::test::ok_response;
using sluice::http::test::ScriptedServer;
using sluice::http::test::ServerConnection;
namespace asio = boost::asio;

namespace {

// Answers every request with `{"name": "Ada", "id": 7}` and keeps the request lines.
struct CountingServer {
  CountingServer() : server([this](ServerConnection& c) { return serve(c); }) {}
  asio::awaitable<void> serve(ServerConnection& connection) {
    while (co_await connection.read_request()) {
      {
        std::lock_guard lock(mutex);
        lines.push_back(connection.request.substr(0, connection.request.find('\r')));
      }
      co_await connection.write(
          ok_response(R"({"name":"Ada","id":7})", "Content-Type: application/json\r\n"));
    }
  }
  std::vector<std::string> received() {
    std::lock_guard lock(mutex);
    return lines;
  }
  std::string url(const std::string& path) const { return server.url(path); }
  std::mutex mutex;
  std::vector<std::string> lines;
  ScriptedServer server;
};

struct Harness {
  Harness() { sluice::http_plugin_test::load_http_plugin(engine); }
  RunResult run(const std::string& yaml, DryRun mode,
                std::shared_ptr<HttpInterceptor> interceptor = nullptr) {
    RunOptions options;
    options.dry_run = mode;
    options.http_interceptor = std::move(interceptor);
    return engine.run(engine.load_string(yaml), options);
  }
  Engine engine;
};

// Reads a record, creates another from it, renders what the create answered, and says hello.
std::string read_then_write(const CountingServer& server) {
  return "version: 1\nname: t\nnodes:\n"
         "  read:\n    type: http.request\n    with: { url: \"" +
         server.url("/people/1") +
         "\" }\n"
         "  write:\n    type: http.request\n    with:\n      url: \"" +
         server.url("/people") +
         "\"\n      method: POST\n      headers: { Authorization: Bearer tok-123456 }\n"
         "      json: { name: \"{{ read.body.name }}\" }\n"
         "  after:\n    type: core.template\n    with: { template: \"made {{ write.body.id }}\" }\n"
         "  hello:\n    type: core.template\n    with: { template: hello }\n"
         "outputs:\n  greeting: \"{{ hello.text }}\"\n  made: \"{{ after.text }}\"\n";
}

std::string header_of(const HttpRequest& request, std::string_view name) {
  for (const HttpHeader& header : request.headers)
    if (header.name == name)
      return header.value;
  return {};
}

} // namespace

TEST_CASE("a dry run sends the read, holds back the write and shows it redacted") {
  CountingServer server;
  Harness harness;
  const RunResult result = harness.run(read_then_write(server), DryRun::reads);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(server.received() == std::vector<std::string>{"GET /people/1 HTTP/1.1"});

  CHECK(result.node("read")->status == NodeStatus::succeeded);
  const NodeResult& write = *result.node("write");
  CHECK(write.status == NodeStatus::planned);
  CHECK(write.message == "would send POST " + server.url("/people"));
  CHECK(write.output.is_null());
  CHECK(result.node("after")->status == NodeStatus::planned);
  CHECK(result.node("after")->message == "depends on 'write', known only after a real run");
  CHECK(result.node("hello")->status == NodeStatus::succeeded);

  REQUIRE(result.planned.size() == 1);
  const PlannedRequest& planned = result.planned[0];
  CHECK(planned.node == "write");
  CHECK(planned.index == -1);
  CHECK(planned.request.method == "POST");
  CHECK(planned.request.body == R"({"name":"Ada"})"); // the read's answer flowed into it
  CHECK(header_of(planned.request, "Authorization") == "[redacted]");

  CHECK(result.outputs["greeting"] == Value("hello"));
  CHECK(result.outputs["made"].is_null());
  CHECK(result.unknown_outputs == std::vector<std::string>{"made"});
}

TEST_CASE("the same pipeline run for real sends both requests") {
  CountingServer server;
  Harness harness;
  const RunResult result = harness.run(read_then_write(server), DryRun::off);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(server.received().size() == 2);
  CHECK(result.planned.empty());
  CHECK(result.outputs["made"] == Value("made 7"));
}

TEST_CASE("an offline dry run sends nothing at all") {
  CountingServer server;
  Harness harness;
  const RunResult result = harness.run(read_then_write(server), DryRun::offline);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(server.received().empty());
  CHECK(result.node("read")->status == NodeStatus::planned);
  CHECK(result.node("read")->message == "would send GET " + server.url("/people/1"));
  CHECK(result.node("write")->status == NodeStatus::planned);
  CHECK(result.node("write")->message == "depends on 'read', known only after a real run");
  CHECK(result.node("hello")->status == NodeStatus::succeeded);
  REQUIRE(result.planned.size() == 1);
  CHECK(result.planned[0].request.method == "GET");
}

TEST_CASE("a dry run shows what every for_each element would send") {
  CountingServer server;
  Harness harness;
  const std::string yaml = "version: 1\nname: t\n"
                           "inputs: { ids: { type: array, default: [11, 12, 13] } }\n"
                           "nodes:\n  remove:\n    type: http.request\n"
                           "    for_each: \"{{ inputs.ids }}\"\n    concurrency: 2\n    with:\n"
                           "      url: \"" +
                           server.url("/meetings/{{ item }}") + "\"\n      method: DELETE\n";
  const RunResult result = harness.run(yaml, DryRun::reads);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(server.received().empty());
  CHECK(result.node("remove")->status == NodeStatus::planned);
  CHECK(result.node("remove")->message ==
        "would send DELETE " + server.url("/meetings/11") + " and 2 more requests");
  REQUIRE(result.planned.size() == 3);
  std::vector<std::string> urls(3);
  for (const PlannedRequest& planned : result.planned) {
    REQUIRE(planned.index >= 0);
    REQUIRE(planned.index < 3);
    CHECK(planned.request.method == "DELETE");
    urls[static_cast<std::size_t>(planned.index)] = planned.request.url;
  }
  CHECK(urls == std::vector<std::string>{server.url("/meetings/11"), server.url("/meetings/12"),
                                         server.url("/meetings/13")});
}

TEST_CASE("the caller's interceptor sees what a dry run sends, not what it holds back") {
  struct Seen : HttpInterceptor {
    HttpDecision before_send(const HttpExchange& exchange) override {
      std::lock_guard lock(mutex);
      lines.push_back("send " + exchange.request.method + " " + exchange.node);
      return HttpDecision::send();
    }
    void after_receive(const HttpExchange& exchange, const HttpResponse& response) override {
      std::lock_guard lock(mutex);
      lines.push_back("answer " + std::to_string(response.status) + " " + exchange.node);
    }
    void after_failure(const HttpExchange& exchange, const std::string&) override {
      std::lock_guard lock(mutex);
      lines.push_back("failure " + exchange.node);
    }
    std::mutex mutex;
    std::vector<std::string> lines;
  };
  CountingServer server;
  Harness harness;
  auto seen = std::make_shared<Seen>();
  const RunResult result = harness.run(read_then_write(server), DryRun::reads, seen);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(seen->lines == std::vector<std::string>{"send GET read", "answer 200 read"});
  CHECK(result.planned.size() == 1);
}

TEST_CASE("a dry run never runs a type that cannot show its effects") {
  Harness harness;
  static std::atomic<int> effects{0};
  static std::atomic<int> pure_runs{0};
  effects = 0;
  pure_runs = 0;
  NodeType effect;
  effect.spec.type = "test.effect";
  effect.spec.side_effects = true;
  effect.run_sync = [](Context&) -> Value {
    ++effects;
    return Object{};
  };
  NodeType pure;
  pure.spec.type = "test.pure"; // declares no side effects, and no reach
  pure.run_sync = [](Context&) -> Value {
    ++pure_runs;
    return Object{{"n", 1}};
  };
  NodeType local = pure;
  local.spec.type = "test.local";
  harness.engine.registrar().add(effect);
  harness.engine.registrar().add(pure);
  harness.engine.registrar().add(local);
  harness.engine.registrar().declare_reach("test.local", Reach::nothing);
  const std::string yaml = "version: 1\nname: t\nnodes:\n"
                           "  change: { type: test.effect }\n"
                           "  look: { type: test.pure }\n"
                           "  think: { type: test.local }\n";

  RunResult result = harness.run(yaml, DryRun::reads);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(effects == 0);
  CHECK(result.node("change")->status == NodeStatus::planned);
  CHECK(result.node("change")->message.starts_with("would run (effects not described)"));
  CHECK(result.node("look")->status == NodeStatus::succeeded);
  CHECK(result.node("think")->status == NodeStatus::succeeded);
  CHECK(pure_runs == 2);

  result = harness.run(yaml, DryRun::offline);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(effects == 0);
  CHECK(result.node("look")->status == NodeStatus::planned);
  CHECK(result.node("look")->message ==
        "not run offline: its type does not say whether it reaches the network");
  CHECK(result.node("think")->status == NodeStatus::succeeded);
  CHECK(pure_runs == 3);

  result = harness.run(yaml, DryRun::off);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(effects == 1);

  // A reach is declared once, for a type that exists.
  CHECK_THROWS_AS(harness.engine.registrar().declare_reach("test.local", Reach::http_only),
                  std::invalid_argument);
  CHECK_THROWS_AS(harness.engine.registrar().declare_reach("test.none", Reach::nothing),
                  std::invalid_argument);
}

TEST_CASE("nodes after one a dry run does not start run on its stand-ins, on a plan of inline "
          "nodes") {
  Harness harness;
  static std::atomic<int> effects{0};
  effects = 0;
  NodeType effect;
  effect.spec.type = "test.counted_effect";
  effect.spec.side_effects = true;
  effect.spec.outputs = {{"n", SettingType::integer, "A number."}};
  effect.run_sync = [](Context&) -> Value {
    ++effects;
    return Object{{"n", 5}};
  };
  harness.engine.registrar().add(effect);
  const std::string yaml =
      "version: 1\nname: t\nnodes:\n"
      "  change: { type: test.counted_effect }\n"
      "  after: { type: core.template, with: { template: \"n={{ change.n }}\" } }\n"
      "  later: { type: core.template, with: { template: \"{{ after.text }}!\" } }\n"
      "outputs: { said: \"{{ later.text }}\" }\n";
  const RunResult result = harness.run(yaml, DryRun::reads);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(effects == 0);
  CHECK(result.node("after")->status == NodeStatus::planned);
  CHECK(result.node("after")->message == "depends on 'change', known only after a real run");
  CHECK(result.node("later")->status == NodeStatus::planned);
  CHECK(result.node("later")->message == "depends on 'after', known only after a real run");
  CHECK(result.node("after")->output.is_null());
  CHECK(result.unknown_outputs == std::vector<std::string>{"said"});

  const RunResult real = harness.run(yaml, DryRun::off);
  REQUIRE_MESSAGE(real.ok(), real.error);
  CHECK(effects == 1);
  CHECK(real.outputs["said"] == Value("n=5!"));
}

TEST_CASE("what needs a planned node's output still shows its requests, the unknowns by name") {
  CountingServer server;
  Harness harness;
  const std::string yaml =
      "version: 1\nname: t\nnodes:\n"
      "  make:\n    type: http.request\n    with: { url: \"" +
      server.url("/people") +
      "\", method: POST, json: { name: Ada } }\n"
      // A read whose URL carries the unknown: it would fetch something else, so it is held.
      "  fetch:\n    type: http.request\n    with: { url: \"" +
      server.url("/people/") +
      "{{ make.body }}\" }\n"
      // A node without requests runs on the stand-ins; what it makes of them flows on.
      "  note:\n    type: core.template\n    with: { template: \"made {{ make.status }}\" }\n"
      "  tell:\n    type: http.request\n    with: { url: \"" +
      server.url("/log") +
      "\", method: POST, json: { text: \"{{ note.text }}\" } }\n"
      // Whether an `if:` holds, or what an unknown field is, only a real run knows.
      "  gate:\n    type: core.template\n    if: \"{{ make.status == 201 }}\"\n"
      "    with: { template: yes }\n"
      "  deep:\n    type: core.template\n    with: { template: \"{{ make.body.id }}\" }\n"
      "outputs:\n  note: \"{{ note.text }}\"\n";

  const RunResult result = harness.run(yaml, DryRun::reads);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(server.received().empty());

  REQUIRE(result.planned.size() == 3);
  CHECK(result.planned[0].node == "make");
  std::vector<std::string> shown;
  for (const PlannedRequest& planned : result.planned)
    shown.push_back(planned.node + " " + planned.request.method + " " + planned.request.url + " " +
                    planned.request.body);
  std::sort(shown.begin() + 1, shown.end());
  CHECK(shown[1] == "fetch GET " + server.url("/people/{make.body}") + " ");
  CHECK(shown[2] == "tell POST " + server.url("/log") + R"( {"text":"made {make.status}"})");

  CHECK(result.node("fetch")->message == "would send GET " + server.url("/people/{make.body}"));
  for (const char* id : {"note", "gate", "deep"}) {
    const NodeResult& node = *result.node(id);
    CHECK_MESSAGE(node.status == NodeStatus::planned, id);
    CHECK_MESSAGE(node.message == "depends on 'make', known only after a real run", id);
  }
  // The stand-ins were for the dependents only: no planned node shows one as its output.
  for (const NodeResult& node : result.nodes)
    if (node.status == NodeStatus::planned)
      CHECK_MESSAGE(node.output.is_null(), node.id);
  CHECK(result.unknown_outputs == std::vector<std::string>{"note"});

  // Offline: the same plan, from the first node on.
  const RunResult offline = harness.run(yaml, DryRun::offline);
  REQUIRE_MESSAGE(offline.ok(), offline.error);
  CHECK(server.received().empty());
  CHECK(offline.planned.size() == 3);
}
