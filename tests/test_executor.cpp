// The executor through the public embedding API: concurrency, cancellation, timeouts,
// retries, skips, for_each, failure handling, the run-time limits (for_each items, output
// size), and hammering one plan from many threads.

#include <sluice/engine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

using namespace sluice;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// "n7": the id of generated node 7. (Built with append: `"n" + std::to_string(i)` trips
// GCC 12's -Wrestrict false positive, bug 105329.)
std::string node_id(int i) {
  return std::string("n").append(std::to_string(i));
}

// "{{ n7.value }}": a reference to generated node 7's output.
std::string value_of(int i) {
  return std::string("{{ ").append(node_id(i)).append(".value }}");
}

EngineOptions engine_options(unsigned threads) {
  EngineOptions options;
  options.threads = threads;
  return options;
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Records every event, for assertions on what observers see.
struct Recorder final : RunObserver {
  void on_event(const Event& e) override {
    std::lock_guard lock(mutex);
    events.push_back({e.kind, std::string(e.node_id), e.item_index, e.attempt,
                      e.output ? std::optional<Value>(*e.output) : std::nullopt});
  }
  std::size_t count(EventKind kind, std::string_view node = {}) {
    std::lock_guard lock(mutex);
    return std::count_if(events.begin(), events.end(), [&](const auto& e) {
      return e.kind == kind && (node.empty() || e.node == node);
    });
  }
  struct Seen {
    EventKind kind;
    std::string node;
    std::int64_t item;
    std::uint32_t attempt;
    std::optional<Value> output;
  };
  std::mutex mutex;
  std::vector<Seen> events;
};

// test.sum: adds the integers in `values` (and 1), synchronously. With a `modulus`,
// test.modsum: the same modulo `modulus`, so that long stretches cannot overflow.
NodeType sum_type(std::int64_t modulus = 0) {
  NodeType t;
  t.spec.type = modulus == 0 ? "test.sum" : "test.modsum";
  t.spec.description = "Adds up integers.";
  t.spec.settings = {{"values", SettingType::array, "integers", false, Value(Array{})}};
  t.spec.outputs = {{"value", SettingType::integer, "the sum + 1"}};
  t.run_sync = [modulus](Context& ctx) -> Value {
    std::int64_t sum = 1;
    for (const Value& v : ctx.setting("values").as_array())
      sum = modulus == 0 ? sum + v.as_int() : (sum + v.as_int()) % modulus;
    return Object{{"value", sum}};
  };
  return t;
}

// test.stubborn: waits `ms` and ignores cancellation while doing so.
NodeType stubborn_type() {
  NodeType t;
  t.spec.type = "test.stubborn";
  t.spec.settings = {{"ms", SettingType::integer, "", true, {}}};
  t.run_async = [](Context& ctx) -> asio::awaitable<Value> {
    const auto until = Clock::now() + std::chrono::milliseconds(ctx.setting("ms").as_int());
    co_await asio::this_coro::throw_if_cancelled(false);
    asio::steady_timer timer(ctx.executor());
    while (Clock::now() < until) {
      timer.expires_at(until);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable)); // ignores errors
      co_await asio::this_coro::reset_cancellation_state();
    }
    co_return Object{};
  };
  return t;
}

// test.gauge: a 50 ms wait that records how many instances run at once.
struct Gauge {
  std::atomic<int> now{0};
  std::atomic<int> peak{0};
};
NodeType gauge_type(std::shared_ptr<Gauge> gauge) {
  NodeType t;
  t.spec.type = "test.gauge";
  t.spec.settings = {{"value", SettingType::any, "", false, {}}};
  t.spec.outputs = {{"value", SettingType::any, ""}};
  t.run_async = [gauge](Context& ctx) -> asio::awaitable<Value> {
    const int running = ++gauge->now;
    int peak = gauge->peak.load();
    while (running > peak && !gauge->peak.compare_exchange_weak(peak, running)) {
    }
    asio::steady_timer timer(ctx.executor(), 50ms);
    co_await timer.async_wait(asio::use_awaitable);
    --gauge->now;
    co_return Object{{"value", ctx.setting("value")}};
  };
  return t;
}

// test.blob (synchronous) and test.blob_async (after a wait): a string of `bytes` bytes,
// counting the calls.
NodeType blob_type(bool waits, std::shared_ptr<std::atomic<int>> calls) {
  NodeType t;
  t.spec.type = waits ? "test.blob_async" : "test.blob";
  t.spec.settings = {{"bytes", SettingType::integer, "", true, {}}};
  if (waits) {
    t.run_async = [calls](Context& ctx) -> asio::awaitable<Value> {
      ++*calls;
      asio::steady_timer timer(ctx.executor(), 1ms);
      co_await timer.async_wait(asio::use_awaitable);
      co_return Value(std::string(static_cast<std::size_t>(ctx.setting("bytes").as_int()), 'x'));
    };
  } else {
    t.run_sync = [calls](Context& ctx) -> Value {
      ++*calls;
      return Value(std::string(static_cast<std::size_t>(ctx.setting("bytes").as_int()), 'x'));
    };
  }
  return t;
}

// test.flaky_effect: fails transiently, and is declared not idempotent.
NodeType effect_type(std::shared_ptr<std::atomic<int>> calls) {
  NodeType t;
  t.spec.type = "test.effect";
  t.spec.side_effects = true;
  t.spec.idempotent = false;
  t.run_sync = [calls](Context&) -> Value {
    ++*calls;
    throw NodeError(ErrorCategory::transient, "connection dropped after sending");
  };
  return t;
}

} // namespace

TEST_CASE("Pipeline's name, description and file are views that outlive the call") {
  // Longer than any small-string buffer, so a view of a temporary copy would read freed heap
  // memory (ASan reports it; without ASan the bytes come out wrong).
  const std::string name = "a-pipeline-name-long-enough-to-live-on-the-heap";
  const std::string description = "A description long enough to live on the heap, too.";
  Engine engine(engine_options(1));
  const Pipeline p =
      engine.load_string("version: 1\nname: " + name + "\ndescription: " + description +
                             "\nnodes:\n  a: { type: core.template, with: { template: x } }\n",
                         "a-file-name-long-enough-to-live-on-the-heap.yaml");
  const std::string_view seen_name = p.name();
  const std::string_view seen_description = p.description();
  const std::string_view seen_file = p.file();
  CHECK(seen_name == name);
  CHECK(seen_description == description);
  CHECK(seen_file == "a-file-name-long-enough-to-live-on-the-heap.yaml");
  CHECK(Pipeline().name().empty());
}

TEST_CASE("independent branches run concurrently: parallel waits vs chained waits") {
  Engine engine(engine_options(2));
  const Pipeline parallel = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.delay, with: { ms: 500 } }
  b: { type: core.delay, with: { ms: 500 } }
  join: { type: core.template, needs: [a, b], with: { template: done } }
)");
  const Pipeline chained = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.delay, with: { ms: 500 } }
  b: { type: core.delay, needs: [a], with: { ms: 500 } }
  join: { type: core.template, needs: [b], with: { template: done } }
)");
  const RunResult p = engine.run(parallel);
  const RunResult c = engine.run(chained);
  REQUIRE(p.ok());
  REQUIRE(c.ok());
  const double ratio = seconds(p.finished - p.started) / seconds(c.finished - c.started);
  INFO("parallel/chained wall-time ratio = " << ratio);
  CHECK(ratio < 0.75); // ideal 0.5
}

TEST_CASE("core.time: now, moved by an offset and rounded, in Zoom's UTC form") {
  Engine engine(engine_options(1));
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  now: { type: core.time }
  later: { type: core.time, with: { offset: 7d, round_to: 1h } }
  before: { type: core.time, with: { offset: -90m } }
outputs:
  now: "{{ now.unix }}"
  later: "{{ later.unix }}"
  before: "{{ before.unix }}"
  utc: "{{ later.utc }}"
  date: "{{ later.date }}"
)");
  const RunResult r = engine.run(p);
  REQUIRE(r.ok());
  const std::int64_t now = r.outputs["now"].as_int();
  CHECK(r.outputs["later"].as_int() % 3600 == 0);
  CHECK(r.outputs["later"].as_int() > now + 7 * 86400 - 3600);
  CHECK(r.outputs["later"].as_int() <= now + 7 * 86400);
  CHECK(std::llabs(r.outputs["before"].as_int() - (now - 5400)) <= 2);
  const std::string utc(r.outputs["utc"].as_string());
  CHECK(utc.size() == 20);
  CHECK(utc.back() == 'Z');
  CHECK(utc.substr(0, 10) == std::string(r.outputs["date"].as_string()));

  const Pipeline bad = engine.load_string(R"(
version: 1
nodes:
  t: { type: core.time, with: { offset: soon } }
)");
  const RunResult failed = engine.run(bad);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error.find("not a duration") != std::string::npos);
}

TEST_CASE("outputs, inputs and types flow through references") {
  Engine engine;
  const Pipeline p = engine.load_string(R"(
version: 1
inputs:
  who: { type: string, default: world }
  n: { type: integer, required: true }
nodes:
  hello: { type: core.template, with: { template: "Hello, {{ inputs.who }}!" } }
  parsed: { type: core.json, with: { text: '{"ids": [85746065432123, 2]}', path: "ids[0]" } }
outputs:
  message: "{{ hello.text }}"
  id: "{{ parsed.value }}"
  n: "{{ inputs.n }}"
)");
  RunOptions options;
  options.inputs = Object{{"n", 7}};
  const RunResult r = engine.run(p, options);
  REQUIRE(r.ok());
  CHECK(r.outputs["message"] == Value("Hello, world!"));
  CHECK(r.outputs["id"].as_int() == 85746065432123);
  CHECK(r.outputs["n"] == Value(7));

  SUBCASE("missing required input") {
    CHECK_THROWS_WITH_AS(engine.run(p), "missing required input 'n' (integer)", InputError);
  }
  SUBCASE("wrong input type") {
    RunOptions bad;
    bad.inputs = Object{{"n", "seven"}};
    CHECK_THROWS_WITH_AS(engine.run(p, bad), "input 'n' expects integer, got string", InputError);
  }
  SUBCASE("unknown input") {
    RunOptions bad;
    bad.inputs = Object{{"n", 1}, {"whom", "x"}};
    CHECK_THROWS_WITH_AS(engine.run(p, bad), "unknown input 'whom'; declared inputs: who, n",
                         InputError);
  }
  SUBCASE("parse_input follows the declared type") {
    CHECK(p.parse_input("n", "42") == Value(42));
    CHECK_THROWS_WITH_AS(p.parse_input("n", "4x"), "input 'n' expects integer, got '4x'",
                         InputError);
  }
}

TEST_CASE("a list of references a node keeps outlives the run that made it") {
  // Inline nodes get lists of references that borrow their elements from the run's results
  // (ValueTemplate::eval_borrowing); what a node keeps or returns must own them. Run under
  // ASan, a dangling element is a use-after-free below.
  auto kept = std::make_shared<Value>();
  Engine engine;
  NodeType keeper;
  keeper.spec.type = "test.keep";
  keeper.spec.description = "Keeps its list.";
  keeper.spec.settings = {{"values", SettingType::array, "anything", true, {}}};
  keeper.spec.outputs = {{"count", SettingType::integer, "how many"}};
  keeper.run_sync = [kept](Context& ctx) -> Value {
    *kept = ctx.setting("values");
    return Object{{"count", static_cast<std::int64_t>(ctx.setting("values").size())}};
  };
  engine.registrar().add(std::move(keeper));
  const Pipeline p = engine.load_string(R"(
version: 1
inputs:
  who: { type: string, default: world }
nodes:
  hello: { type: core.template, with: { template: "Hello, {{ inputs.who }}!" } }
  parsed: { type: core.json, with: { text: '{"ids": [1, 2]}' } }
  keep: { type: test.keep, with: { values: ["{{ hello.text }}", "{{ parsed.value }}", "{{ inputs.who }}"] } }
  all: { type: core.merge, with: { values: ["{{ hello }}", "{{ parsed.value.ids }}"], mode: all } }
outputs:
  all: "{{ all.value }}"
)");
  Value returned;
  {
    RunOptions options;
    options.inputs = Object{{"who", std::string(40, 'w')}}; // not a small string
    const RunResult r = engine.run(p, options);
    REQUIRE(r.ok());
    CHECK(r.node("keep")->output["count"] == Value(3));
    returned = r.node("all")->output;
  } // the run's results, inputs and outputs are gone
  const std::string hello = "Hello, " + std::string(40, 'w') + "!";
  CHECK(*kept == Value(Array{Value(hello), Value::parse_json(R"({"ids": [1, 2]})"),
                             Value(std::string(40, 'w'))}));
  CHECK(returned["value"] ==
        Value(Array{Value(Object{{"text", hello}}), Value::parse_json("[1, 2]")}));
}

TEST_CASE("settings are type-checked when they run: inline and waiting nodes") {
  Engine engine;
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  parsed: { type: core.json, with: { text: '{"n": 5}' } }
  words: { type: core.json, with: { text: "{{ parsed.value.n }}" }, on_error: continue }
  wait: { type: core.delay, with: { ms: "{{ parsed.value.missing }}" }, on_error: continue }
)");
  const RunResult r = engine.run(p);
  REQUIRE(r.node("words") != nullptr);
  CHECK(r.node("words")->status == NodeStatus::failed);
  CHECK(r.node("words")->category == ErrorCategory::invalid_input);
  CHECK(r.node("words")->message == "setting 'text' expects string, got integer");
  REQUIRE(r.node("wait") != nullptr);
  CHECK(r.node("wait")->status == NodeStatus::failed);
  CHECK(r.node("wait")->message == "setting 'ms' is required but evaluated to null");
}

TEST_CASE("a node that runs a pipeline of its own still sees its own context afterwards") {
  // A drainer binds one context to each inline node in turn; a run started inside a node
  // drains with a context of its own, and must not leave the outer node looking at another.
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    Engine engine(engine_options(threads));
    const Pipeline inner = engine.load_string(R"(
version: 1
nodes:
  p: { type: core.template, with: { template: "inner" } }
  q: { type: core.template, with: { template: "{{ p.text }}!" } }
outputs: { said: "{{ q.text }}" }
)");
    NodeType outer;
    outer.spec.type = "test.outer";
    outer.spec.settings = {{"label", SettingType::string, "", true, {}}};
    outer.run_sync = [&engine, &inner](Context& ctx) {
      const std::string before(ctx.setting("label").as_string());
      const RunResult r = engine.run(inner);
      if (!r.ok())
        throw std::runtime_error("inner run: " + r.error);
      return Value(Object{{"id", std::string(ctx.node_id())},
                          {"label", ctx.setting("label")},
                          {"same", ctx.setting("label").as_string() == before},
                          {"inner", r.outputs["said"]}});
    };
    engine.registrar().add(outer);
    const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  first: { type: test.outer, with: { label: one } }
  second: { type: test.outer, with: { label: "{{ first.label }}-two" } }
)");
    const RunResult r = engine.run(p);
    REQUIRE(r.ok());
    CHECK(r.nodes[0].output ==
          Value::parse_json(R"({"id": "first", "label": "one", "same": true, "inner": "inner!"})"));
    CHECK(r.nodes[1].output ==
          Value::parse_json(
              R"({"id": "second", "label": "one-two", "same": true, "inner": "inner!"})"));
  }
}

TEST_CASE("node times lie within the run and follow the dependencies") {
  // Runs without observers stamp nodes from the CPU's counter, converted at the end or, once
  // the process knows the counter's rate, when taken (tick_clock.hpp); observed runs read the
  // clock. All must give the same guarantees.
  auto check_times = [](const RunResult& r) {
    REQUIRE(r.ok());
    CHECK(r.started <= r.finished);
    for (const NodeResult& n : r.nodes) {
      CAPTURE(n.id);
      CHECK(r.started <= n.started);
      CHECK(n.started <= n.finished);
      CHECK(n.finished <= r.finished);
    }
    for (std::size_t i = 1; i < r.nodes.size(); ++i)
      CHECK(r.nodes[i - 1].finished <= r.nodes[i].started); // a chain
  };
  RunOptions timed;
  timed.node_times = true;
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    Engine engine(engine_options(threads));
    const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.template, with: { template: "a" } }
  b: { type: core.json, with: { text: '{"n": [1, 2, 3]}' }, needs: [a] }
  c: { type: core.template, with: { template: "{{ b.value.n }}" } }
  d: { type: core.merge, with: { values: ["{{ c.text }}", "{{ a.text }}"] } }
)");
    check_times(engine.run(p, timed));
    RunOptions observed;
    observed.observers.push_back(std::make_shared<Recorder>());
    check_times(engine.run(p, observed));
    // Once the process has measured the counter's rate over 100 ms of runs, a run converts
    // each stamp when it takes it instead of at the end: the same guarantees.
    const auto until = Clock::now() + std::chrono::milliseconds(250);
    while (Clock::now() < until)
      check_times(engine.run(p, timed));
    // And the times mean something: a node that takes 20 ms is stamped 20 ms long.
    NodeType nap;
    nap.spec.type = "test.nap";
    nap.run_sync = [](Context&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return Value(Object{{"slept", true}});
    };
    engine.registrar().add(nap);
    const Pipeline napping = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.template, with: { template: "a" } }
  nap: { type: test.nap, needs: [a] }
  c: { type: core.template, with: { template: "c" }, needs: [nap] }
)");
    const RunResult r = engine.run(napping, timed);
    check_times(r);
    const auto slept = r.nodes[1].finished - r.nodes[1].started;
    CHECK(slept >= std::chrono::milliseconds(19));
    CHECK(slept <= r.finished - r.started);
  }
}

TEST_CASE("cancellation through a stop token ends a run promptly") {
  Engine engine(engine_options(2));
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  long: { type: core.delay, with: { ms: 20000 } }
  after: { type: core.template, needs: [long], with: { template: never } }
  quick: { type: core.template, with: { template: fine } }
)");
  std::stop_source stop;
  RunOptions options;
  options.stop = stop.get_token();
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
  });
  const RunResult r = engine.run(p, options);
  canceller.join();
  CHECK(r.status == RunStatus::cancelled);
  CHECK(r.node("long")->status == NodeStatus::cancelled);
  CHECK(r.node("after")->status == NodeStatus::cancelled);
  CHECK(r.node("quick")->status == NodeStatus::succeeded);
  CHECK(seconds(r.finished - r.started) < 10.0); // the delay was 20 s
}

TEST_CASE("a node that ignores cancellation is abandoned after the grace period") {
  Engine engine(engine_options(2));
  engine.registrar().add(stubborn_type());
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  stubborn: { type: test.stubborn, timeout: 100ms, with: { ms: 3000 } }
)");
  RunOptions options;
  options.cancel_grace = 200ms;
  const RunResult r = engine.run(p, options);
  CHECK(r.status == RunStatus::failed);
  const NodeResult* n = r.node("stubborn");
  CHECK(n->category == ErrorCategory::timeout);
  CHECK(n->message == "timed out after 100ms and did not stop within 200ms; abandoned");
  CHECK(seconds(r.finished - r.started) < 2.5);
}

TEST_CASE("timeouts cancel a waiting node") {
  Engine engine;
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  slow: { type: core.delay, timeout: 100ms, with: { ms: 5000 } }
)");
  const RunResult r = engine.run(p);
  CHECK(r.status == RunStatus::failed);
  CHECK(r.failed_node == "slow");
  CHECK(r.node("slow")->category == ErrorCategory::timeout);
  CHECK(r.error == "node 'slow' failed: timed out after 100ms");
}

TEST_CASE("retries follow the error category") {
  Engine engine;
  auto recorder = std::make_shared<Recorder>();
  RunOptions options;
  options.observers.push_back(recorder);

  SUBCASE("transient failures are retried until success") {
    const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  flaky:
    type: core.fail
    retry: { attempts: 5, backoff: 10ms }
    with: { category: transient, succeed_on_attempt: 3 }
)");
    const RunResult r = engine.run(p, options);
    REQUIRE(r.ok());
    CHECK(r.node("flaky")->attempts == 3);
    CHECK(r.node("flaky")->output["attempt"] == Value(3));
    CHECK(recorder->count(EventKind::node_retrying, "flaky") == 2);
  }
  SUBCASE("attempts run out") {
    const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  flaky: { type: core.fail, retry: { attempts: 2, backoff: 1ms }, with: { category: rate_limited } }
)");
    const RunResult r = engine.run(p, options);
    CHECK(r.status == RunStatus::failed);
    CHECK(r.node("flaky")->attempts == 2);
    CHECK(r.node("flaky")->category == ErrorCategory::rate_limited);
  }
  SUBCASE("invalid input is not retried") {
    const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  bad: { type: core.fail, retry: { attempts: 5, backoff: 1ms }, with: { category: invalid_input } }
)");
    const RunResult r = engine.run(p, options);
    CHECK(r.status == RunStatus::failed);
    CHECK(r.node("bad")->attempts == 1);
    CHECK(recorder->count(EventKind::node_retrying) == 0);
  }
  SUBCASE("a non-idempotent action is not retried after a failure that may have had effect") {
    auto calls = std::make_shared<std::atomic<int>>(0);
    engine.registrar().add(effect_type(calls));
    const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  create: { type: test.effect, retry: { attempts: 5, backoff: 1ms } }
)");
    const RunResult r = engine.run(p, options);
    CHECK(r.status == RunStatus::failed);
    CHECK(calls->load() == 1);
    CHECK(r.node("create")->message.find("not retried") != std::string::npos);
  }
}

TEST_CASE("if: skipped nodes are reported and skip their dependents unless they opt in") {
  Engine engine;
  const Pipeline p = engine.load_string(R"(
version: 1
inputs:
  go: { type: boolean, default: false }
nodes:
  maybe: { type: core.template, if: "{{ inputs.go }}", with: { template: ran } }
  dependent: { type: core.template, with: { template: "{{ maybe.text }}" } }
  opt_in:
    type: core.template
    if: "{{ !inputs.go }}"
    with: { template: "maybe said '{{ maybe.text }}'" }
outputs:
  opt_in: "{{ opt_in.text }}"
)");
  const RunResult r = engine.run(p);
  REQUIRE(r.ok());
  CHECK(r.node("maybe")->status == NodeStatus::skipped);
  CHECK(r.node("maybe")->message == "condition is false");
  CHECK(r.node("dependent")->status == NodeStatus::skipped);
  CHECK(r.node("dependent")->message == "dependency 'maybe' was skipped");
  CHECK(r.node("opt_in")->status == NodeStatus::succeeded);
  CHECK(r.outputs["opt_in"] == Value("maybe said ''"));

  RunOptions go;
  go.inputs = Object{{"go", true}};
  const RunResult r2 = engine.run(p, go);
  CHECK(r2.node("dependent")->output["text"] == Value("ran"));
  CHECK(r2.node("opt_in")->status == NodeStatus::skipped);
}

TEST_CASE("for_each keeps input order and respects concurrency") {
  Engine engine(engine_options(2));
  auto gauge = std::make_shared<Gauge>();
  engine.registrar().add(gauge_type(gauge));
  const Pipeline p = engine.load_string(R"(
version: 1
inputs:
  delays: { type: array, default: [300, 200, 100, 0] }
nodes:
  wait: { type: core.delay, for_each: "{{ inputs.delays }}", with: { ms: "{{ item }}" } }
  label:
    type: core.template
    for_each: "{{ wait }}"
    with: { template: "{{ index }}:{{ item.ms }}" }
  limited:
    type: test.gauge
    for_each: "{{ inputs.delays }}"
    concurrency: 2
    with: { value: "{{ item }}" }
outputs:
  labels: "{{ label }}"
  limited: "{{ limited }}"
)");
  const RunResult r = engine.run(p);
  REQUIRE(r.ok());
  Array expected;
  for (const char* text : {"0:300", "1:200", "2:100", "3:0"})
    expected.push_back(Object{{"text", text}});
  CHECK(r.outputs["labels"] == Value(expected));
  CHECK(r.outputs["limited"][3]["value"] == Value(0));
  CHECK(gauge->peak.load() == 2);
}

// test.where: waits `ms` (cancellable), then answers which thread it ran on and whether it
// resumed on the thread it started on; fails at once when `fail` is true.
NodeType where_type() {
  NodeType t;
  t.spec.type = "test.where";
  t.spec.settings = {{"item", SettingType::any, "", false, {}},
                     {"ms", SettingType::integer, "", false, Value(2)},
                     {"fail", SettingType::boolean, "", false, Value(false)},
                     {"retry_first", SettingType::boolean, "", false, Value(false)}};
  t.run_async = [](Context& ctx) -> asio::awaitable<Value> {
    if (ctx.setting("fail").as_bool())
      throw NodeError(ErrorCategory::permanent, "refused " + ctx.setting("item").to_json());
    if (ctx.setting("retry_first").as_bool() && ctx.attempt() == 1)
      throw NodeError(ErrorCategory::transient, "first attempt");
    const std::thread::id started = std::this_thread::get_id();
    asio::steady_timer timer(ctx.executor(), std::chrono::milliseconds(ctx.setting("ms").as_int()));
    co_await timer.async_wait(asio::use_awaitable);
    std::ostringstream thread;
    thread << std::this_thread::get_id();
    co_return Object{{"item", ctx.setting("item")},
                     {"thread", thread.str()},
                     {"stayed", std::this_thread::get_id() == started}};
  };
  return t;
}

TEST_CASE("for_each keeps every element on the node's worker, in order, counting retries") {
  for (const unsigned threads : {1u, 2u, 3u}) {
    CAPTURE(threads);
    Engine engine(engine_options(threads));
    engine.registrar().add(where_type());
    const Pipeline p = engine.load_string(R"(
version: 1
inputs:
  items: { type: array }
nodes:
  each:
    type: test.where
    for_each: "{{ inputs.items }}"
    concurrency: 8
    retry: { attempts: 2, backoff: 1ms }
    with: { item: "{{ item.n }}", retry_first: "{{ item.retry }}" }
outputs:
  each: "{{ each }}"
)");
    Array items;
    for (int i = 0; i < 200; ++i)
      items.push_back(Object{{"n", i}, {"retry", i % 7 == 3}});
    RunOptions options;
    options.inputs = Object{{"items", Value(items)}};
    const RunResult r = engine.run(p, options);
    REQUIRE(r.ok());
    const auto outputs = r.outputs["each"].as_array();
    REQUIRE(outputs.size() == 200);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      CHECK(outputs[i]["item"] == Value(static_cast<std::int64_t>(i)));
      CHECK(outputs[i]["stayed"] == Value(true));
      seen.insert(std::string(outputs[i]["thread"].as_string()));
    }
    CHECK(seen.size() == 1); // one worker's loop: its sockets never change threads
    CHECK(r.node("each")->attempts == 2);
  }
}

TEST_CASE("for_each on several workers: one failure stops the other elements, a cancel too") {
  Engine engine(engine_options(2));
  engine.registrar().add(where_type());
  const Pipeline p = engine.load_string(R"(
version: 1
inputs:
  items: { type: array }
nodes:
  each:
    type: test.where
    for_each: "{{ inputs.items }}"
    concurrency: 6
    with: { item: "{{ item.n }}", ms: 20000, fail: "{{ item.fail }}" }
)");
  const auto items = [](int fail_at) {
    Array list;
    for (int i = 0; i < 12; ++i)
      list.push_back(Object{{"n", i}, {"fail", i == fail_at}});
    return Object{{"items", Value(list)}};
  };
  RunOptions failing;
  failing.inputs = items(4);
  const RunResult failed = engine.run(p, failing);
  CHECK(failed.status == RunStatus::failed);
  CHECK(failed.node("each")->message == "element 4: refused 4");
  CHECK(seconds(failed.finished - failed.started) < 10.0); // the others wait 20 s

  RunOptions cancelled;
  cancelled.inputs = items(-1);
  std::stop_source stop;
  cancelled.stop = stop.get_token();
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
  });
  const RunResult r = engine.run(p, cancelled);
  canceller.join();
  CHECK(r.status == RunStatus::cancelled);
  CHECK(r.node("each")->status == NodeStatus::cancelled);
  CHECK(seconds(r.finished - r.started) < 10.0);
}

TEST_CASE("fail-fast: a failure in one branch cancels the others") {
  Engine engine(engine_options(2));
  std::string yaml = "version: 1\nnodes:\n  boom: { type: core.fail, with: { message: kaboom } }\n";
  for (int i = 0; i < 8; ++i)
    yaml += "  slow" + std::to_string(i) + ": { type: core.delay, with: { ms: 10000 } }\n";
  yaml += "  after: { type: core.template, needs: [slow0], with: { template: x } }\n";
  const RunResult r = engine.run(engine.load_string(yaml));
  CHECK(r.status == RunStatus::failed);
  CHECK(r.failed_node == "boom");
  CHECK(r.error == "node 'boom' failed: kaboom");
  for (int i = 0; i < 8; ++i)
    CHECK(r.node("slow" + std::to_string(i))->status == NodeStatus::cancelled);
  CHECK(r.node("after")->status == NodeStatus::cancelled);
  CHECK(seconds(r.finished - r.started) < 5.0);
}

TEST_CASE("on_error: continue lets the rest finish and dependents see null") {
  Engine engine;
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  broken: { type: core.fail, on_error: continue, with: { message: nope, category: not_found } }
  other: { type: core.delay, with: { ms: 20 } }
  fallback:
    type: core.merge
    with: { values: ["{{ broken.attempt }}", "plan b"] }
outputs:
  chosen: "{{ fallback.value }}"
)");
  const RunResult r = engine.run(p);
  REQUIRE(r.ok());
  CHECK(r.node("broken")->status == NodeStatus::failed);
  CHECK(r.node("broken")->tolerated);
  CHECK(r.node("broken")->category == ErrorCategory::not_found);
  CHECK(r.node("other")->status == NodeStatus::succeeded);
  CHECK(r.outputs["chosen"] == Value("plan b"));
}

TEST_CASE("node times are off unless asked for or observed") {
  CHECK_FALSE(RunOptions{}.node_times);
  for (unsigned threads : {1u, 2u}) {
    CAPTURE(threads);
    Engine engine(engine_options(threads));
    // One node that waits (core.delay runs as a coroutine): both paths of a node.
    const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.template, with: { template: "a" } }
  b: { type: core.delay, with: { ms: 2 }, needs: [a] }
  c: { type: core.template, with: { template: "{{ a.text }}c" }, needs: [b] }
)");
    const RunOptions untimed; // the default
    RunOptions timed;
    timed.node_times = true;
    const RunResult r = engine.run(p, untimed);
    REQUIRE(r.ok());
    CHECK(r.outputs == engine.run(p, timed).outputs);
    CHECK(r.started < r.finished); // the run's own times stay
    CHECK(r.finished - r.started >= std::chrono::milliseconds(2));
    for (const NodeResult& n : r.nodes) {
      CAPTURE(n.id);
      CHECK(n.status == NodeStatus::succeeded);
      CHECK(n.started == Clock::time_point{});
      CHECK(n.finished == Clock::time_point{});
    }
    CHECK(r.nodes[2].output["text"].as_string() == "ac");
    // The nodes' summary gives a duration only where one was taken.
    CHECK(node_results_json(r)[0].find("duration_ms") == nullptr);
    CHECK(node_results_json(engine.run(p, timed))[0].find("duration_ms") != nullptr);

    RunOptions observed = untimed;
    auto recorder = std::make_shared<Recorder>();
    observed.observers.push_back(recorder);
    const RunResult o = engine.run(p, observed);
    REQUIRE(o.ok());
    for (const NodeResult& n : o.nodes) {
      CAPTURE(n.id);
      CHECK(o.started <= n.started);
      CHECK(n.started <= n.finished);
      CHECK(n.finished <= o.finished);
    }
    CHECK(recorder->count(EventKind::node_succeeded) == 3);
  }
}

TEST_CASE("events reach observers") {
  Engine engine;
  auto recorder = std::make_shared<Recorder>();
  RunOptions options;
  options.observers.push_back(recorder);
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.log, with: { message: hi } }
  b: { type: core.delay, with: { ms: 1 } }
)");
  REQUIRE(engine.run(p, options).ok());
  CHECK(recorder->count(EventKind::run_started) == 1);
  CHECK(recorder->count(EventKind::run_finished) == 1);
  CHECK(recorder->count(EventKind::node_started) == 2);
  CHECK(recorder->count(EventKind::node_succeeded) == 2);
  CHECK(recorder->count(EventKind::log, "a") == 1);
}

TEST_CASE("a repeated node starts at its second attempt; the others at their first") {
  Engine engine;
  NodeType attempt;
  attempt.spec.type = "test.attempt";
  attempt.spec.description = "Outputs the attempt it runs in.";
  attempt.run_sync = [](Context& ctx) -> Value {
    const auto since = ctx.earlier_attempt_started();
    return Value(Object{{"attempt", ctx.attempt()},
                        {"since", since ? Value(since->time_since_epoch().count()) : Value()}});
  };
  engine.registrar().add(attempt);
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  again: { type: test.attempt }
  fresh: { type: test.attempt }
outputs: { again: "{{ again }}", fresh: "{{ fresh }}" }
)");
  RunOptions options;
  const auto before = std::chrono::system_clock::now() - std::chrono::seconds(30);
  options.repeated = {{"again", before}, {"not-a-node", std::nullopt}};
  const RunResult r = engine.run(p, options);
  REQUIRE(r.ok());
  CHECK(r.outputs["again"]["attempt"] == Value(2));
  CHECK(r.outputs["again"]["since"] == Value(before.time_since_epoch().count()));
  CHECK(r.outputs["fresh"]["attempt"] == Value(1));
  CHECK(r.outputs["fresh"]["since"].is_null());
  CHECK(r.node("again")->attempts == 2);
}

TEST_CASE("declare_reconciles: only for a registered type that is not idempotent, once") {
  Engine engine;
  NodeType effect;
  effect.spec.type = "test.effect";
  effect.spec.description = "Changes something, once.";
  effect.spec.side_effects = true;
  effect.spec.idempotent = false;
  effect.run_sync = [](Context&) -> Value { return Value(); };
  engine.registrar().add(effect);
  CHECK_FALSE(engine.reconciles("test.effect"));
  engine.registrar().declare_reconciles("test.effect");
  CHECK(engine.reconciles("test.effect"));
  CHECK_THROWS_AS(engine.registrar().declare_reconciles("test.effect"), std::invalid_argument);
  CHECK_THROWS_AS(engine.registrar().declare_reconciles("core.template"), std::invalid_argument);
  CHECK_THROWS_AS(engine.registrar().declare_reconciles("test.nothing"), std::invalid_argument);
  CHECK_FALSE(engine.reconciles("core.template"));
}

TEST_CASE("a node's success event carries its output; other events none") {
  Engine engine;
  auto recorder = std::make_shared<Recorder>();
  RunOptions options;
  options.observers.push_back(recorder);
  const Pipeline p = engine.load_string(R"(
version: 1
inputs: { items: { type: array } }
nodes:
  greet: { type: core.template, with: { template: "hi" } }
  each: { type: core.template, for_each: "{{ inputs.items }}", with: { template: "n{{ item }}" } }
)");
  options.inputs = Object{{"items", Array{1, 2}}};
  REQUIRE(engine.run(p, options).ok());
  std::map<std::pair<std::string, std::int64_t>, Value> outputs;
  for (const auto& e : recorder->events) {
    CHECK(e.output.has_value() == (e.kind == EventKind::node_succeeded));
    if (e.output)
      outputs[{e.node, e.item}] = *e.output;
  }
  CHECK(outputs.at({"greet", -1})["text"] == Value("hi"));
  CHECK(outputs.at({"each", 0})["text"] == Value("n1"));
  CHECK(outputs.at({"each", -1}).as_array().size() == 2); // the node's own: every element's
}

TEST_CASE("async_run from an application's own executor, and cancelling it") {
  Engine engine(engine_options(2));
  const Pipeline quick = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.delay, with: { ms: 10 } }
outputs: { waited: "{{ a.ms }}" }
)");
  const Pipeline slow = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.delay, with: { ms: 20000 } }
)");
  asio::io_context app; // the application's own event loop, on this thread
  asio::cancellation_signal signal;
  auto first = asio::co_spawn(app, engine.async_run(quick), asio::use_future);
  auto second = asio::co_spawn(app, engine.async_run(slow),
                               asio::bind_cancellation_slot(signal.slot(), asio::use_future));
  asio::steady_timer timer(app, 50ms);
  timer.async_wait([&](auto) { signal.emit(asio::cancellation_type::terminal); });
  const auto started = Clock::now();
  app.run(); // returns once both runs have completed
  const RunResult a = first.get();
  const RunResult b = second.get();
  CHECK(a.ok());
  CHECK(a.outputs["waited"] == Value(10));
  CHECK(b.status == RunStatus::cancelled);
  CHECK(seconds(Clock::now() - started) < 10.0);
}

namespace {

// The threads a run's nodes started on.
struct NodeThreads final : RunObserver {
  void on_event(const Event& e) override {
    if (e.kind != EventKind::node_started)
      return;
    std::lock_guard lock(mutex);
    threads.insert(std::this_thread::get_id());
  }
  std::mutex mutex;
  std::set<std::thread::id> threads;
};

// Where the nodes of `pipeline` run under async_run awaited on a loop of this thread.
std::set<std::thread::id> async_run_threads(Engine& engine, const Pipeline& pipeline,
                                            bool run_small_here) {
  auto seen = std::make_shared<NodeThreads>();
  RunOptions options;
  options.observers.push_back(seen);
  options.run_small_here = run_small_here;
  asio::io_context app;
  auto result = asio::co_spawn(app, engine.async_run(pipeline, options), asio::use_future);
  app.run();
  CHECK(result.get().ok());
  return seen->threads;
}

} // namespace

TEST_CASE("async_run: a small run of nodes that never wait runs on the awaiting thread when "
          "asked") {
  Engine engine(engine_options(2));
  const Pipeline small = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.template, with: { template: "a" } }
  b: { type: core.template, with: { template: "{{ a.text }}b" } }
outputs: { text: "{{ b.text }}" }
)");
  const Pipeline waits = engine.load_string(R"(
version: 1
nodes:
  a: { type: core.delay, with: { ms: 1 } }
  b: { type: core.template, with: { template: "after" }, needs: [a] }
)");
  const auto here = std::this_thread::get_id();
  CHECK(async_run_threads(engine, small, true) == std::set{here});
  // Not asked: the engine's threads, never the application's loop.
  const auto engine_threads = async_run_threads(engine, small, false);
  CHECK_FALSE(engine_threads.empty());
  CHECK_FALSE(engine_threads.contains(here));
  // Asked, but a node waits: handed to the engine's threads as before.
  const auto waited = async_run_threads(engine, waits, true);
  CHECK_FALSE(waited.empty());
  CHECK_FALSE(waited.contains(here));
}

TEST_CASE("many concurrent runs of one plan agree") {
  Engine engine(engine_options(2));
  engine.registrar().add(sum_type());
  const Pipeline p = engine.load_string(R"(
version: 1
inputs:
  x: { type: integer, default: 1 }
nodes:
  a: { type: test.sum, with: { values: ["{{ inputs.x }}"] } }
  b: { type: test.sum, with: { values: ["{{ a.value }}"] } }
  c: { type: test.sum, with: { values: ["{{ a.value }}", "{{ inputs.x }}"] } }
  wait: { type: core.delay, with: { ms: 1 } }
  d: { type: test.sum, needs: [wait], with: { values: ["{{ b.value }}", "{{ c.value }}"] } }
outputs: { d: "{{ d.value }}" }
)");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::int64_t x = t * 1000 + i;
        RunOptions options;
        options.inputs = Object{{"x", x}};
        const RunResult r = engine.run(p, options);
        // a = x+1, b = a+1, c = a+x+1, d = b+c+1
        const std::int64_t a = x + 1, b = a + 1, c = a + x + 1;
        if (!r.ok() || r.outputs["d"] != Value(b + c + 1))
          ++wrong;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(wrong.load() == 0);
}

// A chain of `count` test.sum nodes from inputs.x: node i outputs x + i + 1.
PipelineSpec sum_chain(int count) {
  PipelineSpec spec;
  for (int i = 0; i < count; ++i) {
    NodeDecl node;
    node.id = node_id(i);
    node.type = "test.sum";
    node.with.push_back(
        {"values", Value(Array{i == 0 ? std::string("{{ inputs.x }}") : value_of(i - 1)}), {}});
    spec.nodes.push_back(std::move(node));
  }
  // A number, so that a run given 1.5 gets as far as its first node, and fails there.
  InputDecl x;
  x.name = "x";
  x.type = "number";
  x.default_value = Value(0);
  spec.inputs.push_back(std::move(x));
  return spec;
}

// Whether `r` is what sum_chain(count) computes from `x`, record by record.
bool chain_agrees(const RunResult& r, int count, std::int64_t x) {
  if (!r.ok() || r.nodes.size() != static_cast<std::size_t>(count))
    return false;
  for (int i = 0; i < count; ++i) {
    const NodeResult& n = r.nodes[i];
    if (n.id != node_id(i) || n.status != NodeStatus::succeeded || n.attempts != 1 ||
        !n.message.empty() || n.tolerated || n.mocked || n.output["value"] != Value(x + i + 1))
      return false;
  }
  return true;
}

TEST_CASE("runs of a large plan reuse their records; every run's result is its own") {
  Engine engine(engine_options(2));
  engine.registrar().add(sum_type());
  const int count = 40; // past the plans small enough to keep nothing between runs
  const Pipeline p = engine.compile(sum_chain(count));
  auto run = [&](std::int64_t x, bool node_times = false) {
    RunOptions options;
    options.inputs = Object{{"x", x}};
    options.node_times = node_times;
    return engine.run(p, options);
  };

  SUBCASE("a destroyed result's block serves the next run, records as new") {
    const NodeResult* first = nullptr;
    {
      // A failure leaves messages, categories and statuses in the records.
      RunOptions options;
      options.inputs = Object{{"x", 1.5}};
      RunResult failed = engine.run(p, options);
      REQUIRE(failed.status == RunStatus::failed);
      REQUIRE_FALSE(failed.nodes[5].message.empty());
      first = failed.nodes.data();
    }
    // Had the block gone back to malloc, this would take it.
    std::vector<NodeResult> decoy(count);
    const RunResult r = run(7);
    CHECK(r.nodes.data() == first);
    CHECK(chain_agrees(r, count, 7));
  }

  SUBCASE("whatever a result's owner did to its records, the next run's are as new") {
    // Records handed back one per node are made new in place for the next run (the run does
    // not walk them again); any other shape is cleared and rebuilt.
    // Every change is followed by a run with node times and by one without: a run without
    // them leaves none of the earlier ones behind either.
    for (const char* change : {"scribbled", "shortened", "grown", "moved out"})
      for (const bool timed : {true, false}) {
        CAPTURE(change);
        CAPTURE(timed);
        const NodeResult* first = nullptr;
        std::vector<NodeResult> taken;
        {
          RunResult r = run(1);
          first = r.nodes.data();
          const std::string what = change;
          if (what == "scribbled") {
            for (NodeResult& n : r.nodes) {
              n.id = "someone else";
              n.status = NodeStatus::failed;
              n.attempts = 9;
              n.started = n.finished = Clock::time_point(std::chrono::hours(1));
              n.output = Value("left over");
              n.message = "left over, and long enough to need a heap block of its own";
              n.category = ErrorCategory::rate_limited;
              n.tolerated = n.mocked = true;
            }
          } else if (what == "shortened") {
            r.nodes.pop_back();
          } else if (what == "grown") {
            r.nodes.emplace_back("extra");
          } else {
            taken = std::move(r.nodes);
          }
        }
        const RunResult next = run(8, timed);
        CHECK(chain_agrees(next, count, 8));
        for (const NodeResult& n : next.nodes) {
          CHECK(n.category == ErrorCategory::internal);
          if (timed) {
            CHECK(n.started >= next.started);
            CHECK(n.finished <= next.finished);
          } else {
            CHECK(n.started == Clock::time_point{});
            CHECK(n.finished == Clock::time_point{});
          }
        }
        if (std::string_view(change) == "scribbled")
          CHECK(next.nodes.data() == first);
      }
  }

  SUBCASE("results kept, copied and moved stay intact while others are reused") {
    RunResult kept = run(1);
    RunResult copy = kept;
    {
      RunResult gone = run(2);
      CHECK(chain_agrees(gone, count, 2));
    }
    RunResult moved = run(3);
    moved = run(4); // the records of run 3 go back; run 4's take their place
    const RunResult after = run(5);
    CHECK(chain_agrees(kept, count, 1));
    CHECK(chain_agrees(copy, count, 1));
    CHECK(chain_agrees(moved, count, 4));
    CHECK(chain_agrees(after, count, 5));
    kept = std::move(copy);
    CHECK(chain_agrees(kept, count, 1));
    CHECK(chain_agrees(run(6), count, 6));
  }

  SUBCASE("many threads, many runs, results dropped in any order") {
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        std::vector<std::pair<std::int64_t, RunResult>> held;
        for (int i = 0; i < 60; ++i) {
          const std::int64_t x = t * 1000 + i;
          held.emplace_back(x, run(x));
          // Drop one of those held, not always the newest.
          if (held.size() > 3) {
            const auto victim = held.begin() + (i % 3);
            if (!chain_agrees(victim->second, count, victim->first))
              ++wrong;
            held.erase(victim);
          }
        }
        for (const auto& [x, r] : held)
          if (!chain_agrees(r, count, x))
            ++wrong;
      });
    for (auto& t : threads)
      t.join();
    CHECK(wrong.load() == 0);
  }

  SUBCASE("a result outlives its pipeline and engine") {
    RunResult r;
    {
      // Two threads: the run state is on the heap, in a block the plan keeps.
      Engine other(engine_options(2));
      other.registrar().add(sum_type());
      const Pipeline q = other.compile(sum_chain(count));
      RunOptions options;
      options.inputs = Object{{"x", 9}};
      r = other.run(q, options);
      r = other.run(q, options); // the first run's records go back to the plan
    }
    CHECK(chain_agrees(r, count, 9));
  }
}

TEST_CASE("random DAGs compute what a sequential evaluation computes") {
  Engine engine(engine_options(2));
  engine.registrar().add(sum_type());
  std::mt19937 random(12345);
  for (int round = 0; round < 20; ++round) {
    const int count = 50 + static_cast<int>(random() % 200);
    PipelineSpec spec;
    std::vector<std::vector<int>> preds(count);
    std::vector<std::int64_t> expected(count);
    for (int i = 0; i < count; ++i) {
      NodeDecl node;
      node.id = node_id(i);
      node.type = i % 7 == 3 ? "core.delay" : "test.sum";
      if (node.type == "core.delay") {
        node.with.push_back({"ms", Value(0), {}});
        expected[i] = 0;
      } else {
        Array refs;
        std::int64_t sum = 1;
        const int fan_in = i == 0 ? 0 : static_cast<int>(random() % 4);
        for (int k = 0; k < fan_in; ++k) {
          const int pred = static_cast<int>(random() % i);
          if (node.type == "test.sum" && spec.nodes[pred].type == "test.sum") {
            refs.push_back(value_of(pred));
            sum += expected[pred];
          } else {
            node.needs.push_back({Value(node_id(pred)), {}});
          }
        }
        node.with.push_back({"values", Value(std::move(refs)), {}});
        expected[i] = sum;
      }
      spec.nodes.push_back(std::move(node));
    }
    const RunResult r = engine.run(engine.compile(spec));
    REQUIRE(r.ok());
    for (int i = 0; i < count; ++i)
      if (spec.nodes[i].type == "test.sum")
        REQUIRE(r.nodes[i].output["value"] == Value(expected[i]));
  }
}

// Random layered DAGs of test.sum nodes only, so that every node runs inline: the ready
// stacks split between threads, hand work to a drainer that ran dry, and a drainer left alone
// switches to plain counter updates and back (release_successors). Wide layers make splits,
// long narrow stretches make a lone drainer; several runs at once share the pool. A counter
// update lost to a race leaves a node never ready: the run hangs, and ctest's timeout fails
// the test (as it did, three times of three, with the lone drainer's plain updates forced on).
TEST_CASE("random inline DAGs on two threads compute what a sequential evaluation computes") {
  constexpr std::int64_t modulus = 1000003;
  Engine engine(engine_options(2));
  engine.registrar().add(sum_type(modulus));
  std::atomic<int> wrong{0};
  auto rounds = [&](unsigned seed) {
    std::mt19937 random(seed);
    for (int round = 0; round < 12; ++round) {
      const int count = 20 + static_cast<int>(random() % 3000);
      PipelineSpec spec;
      std::vector<std::int64_t> expected(count);
      int layer_start = 0, layer_end = 0; // the previous layer: [layer_start, layer_end)
      for (int i = 0; i < count;) {
        // A wide layer, or a narrow stretch of one node at a time.
        const int width = random() % 3 == 0 ? 1 : 1 + static_cast<int>(random() % 200);
        for (int k = 0; k < width && i < count; ++k, ++i) {
          NodeDecl node;
          node.id = node_id(i);
          node.type = "test.modsum";
          Array refs;
          std::int64_t sum = 1;
          // A node alone in its layer joins the whole layer before it: both threads settle
          // those at once, and each decrements the join's counter.
          const int fan_in = layer_end == 0 ? 0
                             : width == 1   ? layer_end - layer_start
                                            : 1 + static_cast<int>(random() % 4);
          for (int f = 0; f < fan_in; ++f) {
            const int pred =
                width == 1 ? layer_start + f
                           : layer_start + static_cast<int>(random() % (layer_end - layer_start));
            refs.push_back(value_of(pred));
            sum = (sum + expected[pred]) % modulus;
          }
          expected[i] = sum;
          node.with.push_back({"values", Value(std::move(refs)), {}});
          spec.nodes.push_back(std::move(node));
        }
        layer_start = layer_end;
        layer_end = i;
      }
      const RunResult r = engine.run(engine.compile(spec));
      if (!r.ok()) {
        ++wrong;
        continue;
      }
      for (int i = 0; i < count; ++i) {
        if (r.nodes[i].output["value"] != Value(expected[i]))
          ++wrong;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 3; ++t)
    threads.emplace_back(rounds, 777 + t);
  for (auto& t : threads)
    t.join();
  CHECK(wrong.load() == 0);
}

TEST_CASE("a 100,000-node chain runs in constant stack") {
  Engine engine(engine_options(2));
  engine.registrar().add(sum_type());
  PipelineSpec spec;
  const int count = 100000;
  spec.nodes.reserve(count);
  for (int i = 0; i < count; ++i) {
    NodeDecl node;
    node.id = node_id(i);
    node.type = "test.sum";
    if (i > 0)
      node.with.push_back({"values", Value(Array{value_of(i - 1)}), {}});
    spec.nodes.push_back(std::move(node));
  }
  spec.outputs.push_back({"last", Value(value_of(count - 1)), {}});
  const RunResult r = engine.run(engine.compile(spec));
  REQUIRE(r.ok());
  CHECK(r.outputs["last"] == Value(count));
}

// ---- limits (sluice/limits.hpp) -------------------------------------------------------------

TEST_CASE("limits: EngineOptions::limits reach loading and compiling") {
  EngineOptions options = engine_options(1);
  options.limits.input_bytes = 16;
  options.limits.nodes = 1;
  Engine engine(options);
  try {
    (void)engine.load_string("version: 1\nnodes: {}\n");
    FAIL("expected a LoadError");
  } catch (const LoadError& e) {
    CHECK(std::string(e.what()) ==
          "<string>:1:1: error: the pipeline is larger than 16 bytes, the limit for its YAML text\n"
          "  hint: raise the limit with --max-input-bytes (Limits::input_bytes when embedding)");
  }
  PipelineSpec spec;
  spec.nodes.resize(2);
  spec.nodes[0].id = "a";
  spec.nodes[1].id = "b";
  CHECK_THROWS_WITH_AS((void)engine.compile(spec),
                       "<code>: error: the pipeline has more than 1 nodes, the limit for one "
                       "pipeline\n  hint: raise the limit with --max-nodes (Limits::nodes when "
                       "embedding)",
                       LoadError);
}

TEST_CASE(
    "output bytes: a node whose output passes the limit fails, inline or waiting, unretried") {
  EngineOptions options = engine_options(2);
  options.limits.output_bytes = 1024;
  Engine engine(options);
  auto calls = std::make_shared<std::atomic<int>>(0);
  engine.registrar().add(blob_type(false, calls));
  engine.registrar().add(blob_type(true, calls));
  // A string counts 16 bytes for its Value, 48 for its block, and its own bytes: 960 bytes
  // of text fit in 1 KiB, 961 do not.
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  fits: { type: test.blob, with: { bytes: 960 } }
  inline: { type: test.blob, on_error: continue, with: { bytes: 961 } }
  retried: { type: test.blob, retry: 3, on_error: continue, with: { bytes: 961 } }
  waiting: { type: test.blob_async, retry: 3, on_error: continue, with: { bytes: 961 } }
  reader: { type: core.template, with: { template: "[{{ inline }}]" } }
)");
  const RunResult r = engine.run(p);
  REQUIRE(r.ok());
  CHECK(r.node("fits")->status == NodeStatus::succeeded);
  CHECK(r.node("fits")->output.size() == 960);
  const std::string message = "the output is larger than 1 KiB, the limit for one node's output; "
                              "raise the limit with --max-output-bytes (Limits::output_bytes "
                              "when embedding)";
  for (const char* id : {"inline", "retried", "waiting"}) {
    INFO(id);
    const NodeResult* n = r.node(id);
    CHECK(n->status == NodeStatus::failed);
    CHECK(n->tolerated);
    CHECK(n->category == ErrorCategory::permanent);
    CHECK(n->message == message);
    CHECK(n->attempts == 1);
    CHECK(n->output.is_null());
  }
  CHECK(calls->load() == 4); // one call each: nothing retried
  CHECK(r.node("reader")->output["text"] == Value("[]"));
}

TEST_CASE("output bytes: a for_each node's elements count together") {
  EngineOptions options = engine_options(2);
  options.limits.output_bytes = 1024;
  Engine engine(options);
  auto calls = std::make_shared<std::atomic<int>>(0);
  engine.registrar().add(blob_type(true, calls));
  // Each element's output counts 16 + 48 + 300 = 364 bytes: two fit in 1 KiB, three do not.
  const Pipeline p = engine.load_string(R"(
version: 1
inputs: { sizes: { type: array } }
nodes:
  each:
    type: test.blob_async
    for_each: "{{ inputs.sizes }}"
    concurrency: 1
    retry: 3
    with: { bytes: "{{ item }}" }
)");
  RunOptions two;
  two.inputs = Object{{"sizes", Array{300, 300}}};
  CHECK(engine.run(p, two).ok());
  RunOptions five;
  five.inputs = Object{{"sizes", Array{300, 300, 300, 300, 300}}};
  calls->store(0);
  const RunResult r = engine.run(p, five);
  CHECK(r.status == RunStatus::failed);
  const NodeResult* n = r.node("each");
  CHECK(n->category == ErrorCategory::permanent);
  CHECK(n->message == "element 2: the outputs of the elements so far add up to more than 1 KiB, "
                      "the limit for one node's output; raise the limit with --max-output-bytes "
                      "(Limits::output_bytes when embedding)");
  CHECK(calls->load() == 3); // the elements after the third never ran, and none was retried
}

TEST_CASE("output bytes: a deeply nested output is measured without recursion") {
  // A million lists, each the only element of the next: 64 bytes each (a Value and a block),
  // 64,000,000 in all, just under the default 64 MiB. Measured by recursion, this would
  // overflow the stack.
  Value deep;
  for (int i = 0; i < 1'000'000; ++i)
    deep = Value(Array{deep});
  NodeType nested;
  nested.spec.type = "test.nested";
  nested.run_sync = [deep](Context&) { return deep; };
  const std::string yaml = "version: 1\nnodes:\n  deep: { type: test.nested }\n";
  {
    Engine engine(engine_options(1));
    engine.registrar().add(nested);
    const RunResult r = engine.run(engine.load_string(yaml));
    CHECK(r.ok());
  }
  EngineOptions options = engine_options(1);
  options.limits.output_bytes = 1 << 20;
  Engine engine(options);
  engine.registrar().add(nested);
  const RunResult r = engine.run(engine.load_string(yaml));
  CHECK(r.status == RunStatus::failed);
  CHECK(r.node("deep")->message.starts_with("the output is larger than 1 MiB"));
}

TEST_CASE("for_each items: a list longer than the limit fails the node before any element") {
  EngineOptions options = engine_options(2);
  options.limits.for_each_items = 3;
  Engine engine(options);
  auto calls = std::make_shared<std::atomic<int>>(0);
  engine.registrar().add(blob_type(false, calls));
  const Pipeline p = engine.load_string(R"(
version: 1
inputs: { sizes: { type: array } }
nodes:
  each: { type: test.blob, for_each: "{{ inputs.sizes }}", retry: 3, with: { bytes: "{{ item }}" } }
)");
  RunOptions three;
  three.inputs = Object{{"sizes", Array{1, 2, 3}}};
  CHECK(engine.run(p, three).ok());
  CHECK(calls->load() == 3);
  RunOptions four;
  four.inputs = Object{{"sizes", Array{1, 2, 3, 4}}};
  calls->store(0);
  const RunResult r = engine.run(p, four);
  CHECK(r.status == RunStatus::failed);
  const NodeResult* n = r.node("each");
  CHECK(n->category == ErrorCategory::permanent);
  CHECK(n->message == "'for_each' has 4 items, more than 3 items, the limit for one list; raise "
                      "the limit with --max-for-each-items (Limits::for_each_items when "
                      "embedding)");
  CHECK(calls->load() == 0);
}

// ---- mocks (RunOptions::mocks) --------------------------------------------------------------

namespace {

// Counts how often its node type really ran: a mocked node must never reach it.
struct RunCounter {
  std::atomic<int> runs{0};
};

// test.counted: outputs {value: 1} and counts its runs.
NodeType counted_type(const std::shared_ptr<RunCounter>& counter) {
  NodeType t;
  t.spec.type = "test.counted";
  t.spec.outputs = {{"value", SettingType::integer, "always 1"}};
  t.run_sync = [counter](Context&) -> Value {
    ++counter->runs;
    return Object{{"value", 1}};
  };
  return t;
}

} // namespace

TEST_CASE("mocks: a mocked node is not run; what depends on it sees the mock's output") {
  auto counter = std::make_shared<RunCounter>();
  Engine engine(engine_options(2));
  engine.registrar().add(counted_type(counter));
  const Pipeline p = engine.load_string(R"(version: 1
nodes:
  source: { type: test.counted }
  twice: { type: core.template, with: { template: "{{ source.value }}{{ source.value }}" } }
outputs:
  text: "{{ twice.text }}"
)");
  RunOptions options;
  options.mocks.push_back(NodeMock{"source", Value(Object{{"value", Value(7)}}), {}});
  Recorder recorder;
  options.observers.push_back(std::shared_ptr<RunObserver>(&recorder, [](RunObserver*) {}));
  const RunResult r = engine.run(p, options);
  REQUIRE(r.ok());
  CHECK(counter->runs == 0);
  CHECK(r.outputs["text"] == Value("77"));
  CHECK(r.node("source")->mocked);
  CHECK(r.node("source")->status == NodeStatus::succeeded);
  CHECK_FALSE(r.node("twice")->mocked);
  // Observers see a mocked node start and succeed like any other.
  CHECK(recorder.count(EventKind::node_succeeded, "source") == 1);

  // Without the mock the real type runs.
  const RunResult real = engine.run(p);
  CHECK(real.outputs["text"] == Value("11"));
  CHECK(counter->runs == 1);
}

TEST_CASE("mocks: a mocked failure fails the run as the node would, or is tolerated") {
  auto counter = std::make_shared<RunCounter>();
  Engine engine(engine_options(2));
  engine.registrar().add(counted_type(counter));
  const Pipeline p = engine.load_string(R"(version: 1
nodes:
  create: { type: test.counted }
  after: { type: core.template, with: { template: "{{ create.value }}" } }
  optional: { type: test.counted, on_error: continue }
)");
  RunOptions options;
  options.mocks.push_back(
      NodeMock{"create", {}, NodeMock::Failure{ErrorCategory::permanent, "no room"}});
  const RunResult r = engine.run(p, options);
  CHECK(r.status == RunStatus::failed);
  CHECK(r.failed_node == "create");
  CHECK(r.node("create")->status == NodeStatus::failed);
  CHECK(r.node("create")->message == "no room");
  CHECK(r.node("create")->category == ErrorCategory::permanent);
  CHECK(r.node("create")->mocked);
  CHECK(r.node("after")->status == NodeStatus::cancelled);

  RunOptions tolerated;
  tolerated.mocks.push_back(
      NodeMock{"optional", {}, NodeMock::Failure{ErrorCategory::transient, "flaky"}});
  const RunResult t = engine.run(p, tolerated);
  CHECK(t.ok());
  CHECK(t.node("optional")->status == NodeStatus::failed);
  CHECK(t.node("optional")->tolerated);
}

TEST_CASE("mocks: its 'if:' still decides; unknown and repeated nodes are refused") {
  auto counter = std::make_shared<RunCounter>();
  Engine engine(engine_options(2));
  engine.registrar().add(counted_type(counter));
  const Pipeline p = engine.load_string(R"(version: 1
inputs: { go: { type: boolean, default: false } }
nodes:
  maybe: { type: test.counted, if: "{{ inputs.go }}" }
)");
  RunOptions options;
  options.mocks.push_back(NodeMock{"maybe", Value(Object{{"value", Value(5)}}), {}});
  CHECK(engine.run(p, options).node("maybe")->status == NodeStatus::skipped);
  options.inputs = Value(Object{{"go", Value(true)}});
  CHECK(engine.run(p, options).node("maybe")->output["value"] == Value(5));

  RunOptions unknown;
  unknown.mocks.push_back(NodeMock{"nope", Value(), {}});
  CHECK_THROWS_WITH_AS(engine.run(p, unknown),
                       "a mock names node 'nope', which the pipeline does not have",
                       std::invalid_argument);
  RunOptions twice;
  twice.mocks.push_back(NodeMock{"maybe", Value(), {}});
  twice.mocks.push_back(NodeMock{"maybe", Value(), {}});
  CHECK_THROWS_WITH_AS(engine.run(p, twice), "node 'maybe' has more than one mock",
                       std::invalid_argument);
  CHECK(counter->runs == 0);
}

TEST_CASE("Pipeline::node_type") {
  Engine engine;
  const Pipeline p =
      engine.load_string("version: 1\nnodes:\n  a: { type: core.delay, with: { ms: 1 } }\n");
  CHECK(p.node_type("a") == "core.delay");
  CHECK_THROWS_AS(p.node_type("b"), std::out_of_range);
}
