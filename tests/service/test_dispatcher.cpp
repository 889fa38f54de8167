// The dispatcher with a real engine and a real run store: runs are recorded before they start
// and when they end, the pipeline's concurrency queues, skips or refuses, cancellation and
// shutdown end runs as cancelled, and a restart turns what was running into interrupted runs
// (run again when the pipeline says so).

#include "run_store_files.hpp"
#include "service/dispatcher.hpp"
#include "service/run_feed.hpp"

#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <thread>

using namespace sluice;
using namespace sluice::service;
using sluice::service::test::StoreFiles;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::string slow_pipeline(const std::string& name, const std::string& extra) {
  return "version: 1\nname: " + name +
         "\n"
         "inputs: { ms: { type: integer, default: 200 } }\n"
         "nodes:\n"
         "  wait: { type: core.delay, with: { ms: \"{{ inputs.ms }}\" } }\n"
         "  say: { type: core.template, needs: [wait], with: { template: \"waited "
         "{{ inputs.ms }}\" } }\n"
         "outputs: { said: \"{{ say.text }}\" }\n" +
         extra;
}

// An engine, a store, and a dispatcher whose own work runs on one thread of its own.
struct Service {
  explicit Service(const StoreFiles& files) : store(files.open()) { make_dispatcher(); }
  ~Service() {
    dispatcher.reset();
    guard.reset();
    thread.join();
  }
  void make_dispatcher() {
    dispatcher = std::make_unique<Dispatcher>(engine, *store, io.get_executor());
  }
  void serve(const std::string& yaml) {
    dispatcher->serve(ServedPipeline{engine.load_string(yaml), "sha256-of-file"});
  }
  std::string submit(const std::string& pipeline, Value inputs = Value(Object{})) {
    NewRun run;
    run.pipeline = pipeline;
    run.trigger = "api";
    run.inputs = std::move(inputs);
    auto outcome = dispatcher->submit(std::move(run));
    REQUIRE_MESSAGE(std::holds_alternative<std::string>(outcome),
                    std::get<Refusal>(outcome).message);
    return std::get<std::string>(outcome);
  }
  StoredRunStatus status(const std::string& id) { return store->find(id).value().status; }

  std::unique_ptr<RunStore> store;
  Engine engine;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  std::unique_ptr<Dispatcher> dispatcher;
};

} // namespace

TEST_CASE("a run is recorded as it is accepted, starts, and keeps its outputs and nodes") {
  StoreFiles files;
  Service service(files);
  service.serve(slow_pipeline("slow", ""));
  const std::string id = service.submit("slow", Object{{"ms", 50}});
  const auto accepted = service.store->find(id);
  REQUIRE(accepted);
  CHECK(accepted->pipeline_hash == "sha256-of-file");
  CHECK(accepted->status != StoredRunStatus::queued); // started at once: no limit
  const auto run = service.dispatcher->wait(id, 10s);
  REQUIRE(run);
  CHECK(run->status == StoredRunStatus::succeeded);
  CHECK(run->outputs == Value(Object{{"said", "waited 50"}}));
  REQUIRE(run->nodes.size() == 2);
  CHECK(run->nodes[0]["id"] == Value("wait"));
  CHECK(run->nodes[0]["status"] == Value("succeeded"));
  CHECK(run->nodes[0]["duration_ms"].as_double() >= 45);
  CHECK(run->started_at);
  CHECK(run->finished_at >= run->started_at);
  CHECK(service.dispatcher->gauges().running == 0);
}

TEST_CASE("inputs that do not match, and unknown pipelines, are refused before anything is "
          "recorded") {
  StoreFiles files;
  Service service(files);
  service.serve(slow_pipeline("slow", ""));
  NewRun bad;
  bad.pipeline = "slow";
  bad.inputs = Object{{"ms", "soon"}};
  CHECK_THROWS_AS(service.dispatcher->submit(bad), InputError);
  bad.inputs = Object{{"nope", 1}};
  CHECK_THROWS_AS(service.dispatcher->submit(bad), InputError);
  NewRun unknown;
  unknown.pipeline = "nobody";
  const auto outcome = service.dispatcher->submit(unknown);
  REQUIRE(std::holds_alternative<Refusal>(outcome));
  CHECK(std::get<Refusal>(outcome).why == Refusal::Why::unknown_pipeline);
  CHECK(service.store->list(RunQuery{}).runs.empty());
}

TEST_CASE("concurrency limit 1, queue: one run at a time, in order") {
  StoreFiles files;
  Service service(files);
  service.serve(slow_pipeline("one", "concurrency: { limit: 1, when_full: queue }\n"));
  const std::string first = service.submit("one", Object{{"ms", 300}});
  const std::string second = service.submit("one", Object{{"ms", 10}});
  const std::string third = service.submit("one", Object{{"ms", 10}});
  CHECK(service.status(first) == StoredRunStatus::running);
  CHECK(service.status(second) == StoredRunStatus::queued);
  CHECK(service.status(third) == StoredRunStatus::queued);
  CHECK(service.dispatcher->gauges().running == 1);
  for (const std::string& id : {first, second, third})
    CHECK(service.dispatcher->wait(id, 10s)->status == StoredRunStatus::succeeded);
  // Each started only after the one before it had finished.
  const auto a = *service.store->find(first);
  const auto b = *service.store->find(second);
  const auto c = *service.store->find(third);
  CHECK(*b.started_at >= *a.finished_at);
  CHECK(*c.started_at >= *b.finished_at);
}

TEST_CASE("concurrency limit reached: skip records a skipped run, fail refuses") {
  StoreFiles files;
  Service service(files);
  service.serve(slow_pipeline("skipper", "concurrency: { limit: 1, when_full: skip }\n"));
  service.serve(slow_pipeline("refuser", "concurrency: { limit: 1, when_full: fail }\n"));
  const std::string going = service.submit("skipper", Object{{"ms", 400}});
  const std::string skipped = service.submit("skipper");
  CHECK(service.status(skipped) == StoredRunStatus::skipped);
  CHECK(service.store->find(skipped)->error.starts_with(
      "skipped: pipeline 'skipper' already has 1 run going"));

  const std::string held = service.submit("refuser", Object{{"ms", 400}});
  NewRun more;
  more.pipeline = "refuser";
  const auto outcome = service.dispatcher->submit(more);
  REQUIRE(std::holds_alternative<Refusal>(outcome));
  CHECK(std::get<Refusal>(outcome).why == Refusal::Why::full);
  CHECK(std::get<Refusal>(outcome).message.find("when_full: fail") != std::string::npos);
  RunQuery query;
  query.pipeline = "refuser";
  CHECK(service.store->list(query).runs.size() == 1);
  CHECK(service.dispatcher->wait(going, 10s)->status == StoredRunStatus::succeeded);
  CHECK(service.dispatcher->wait(held, 10s)->status == StoredRunStatus::succeeded);
}

TEST_CASE("cancelling a queued run and a running one") {
  StoreFiles files;
  Service service(files);
  service.serve(slow_pipeline("one", "concurrency: { limit: 1 }\n"));
  const std::string going = service.submit("one", Object{{"ms", 30000}});
  const std::string waiting = service.submit("one", Object{{"ms", 10}});
  CHECK(service.dispatcher->cancel(waiting) == StoredRunStatus::cancelled);
  CHECK(service.dispatcher->cancel(going) == StoredRunStatus::running); // stopping
  const auto run = service.dispatcher->wait(going, 10s);
  CHECK(run->status == StoredRunStatus::cancelled);
  CHECK(run->nodes[0]["status"] == Value("cancelled"));
  CHECK(service.status(waiting) == StoredRunStatus::cancelled);
  CHECK_FALSE(service.dispatcher->cancel("no-such-run"));
}

TEST_CASE("shutdown: runs that outlast the grace are cancelled and recorded, new ones refused") {
  StoreFiles files;
  Service service(files);
  service.serve(slow_pipeline("slow", ""));
  const std::string quick = service.submit("slow", Object{{"ms", 20}});
  const std::string long_one = service.submit("slow", Object{{"ms", 30000}});
  const auto began = std::chrono::steady_clock::now();
  service.dispatcher->drain(300ms);
  CHECK(std::chrono::steady_clock::now() - began < 10s);
  CHECK(service.status(quick) == StoredRunStatus::succeeded);
  CHECK(service.status(long_one) == StoredRunStatus::cancelled);
  NewRun late;
  late.pipeline = "slow";
  const auto outcome = service.dispatcher->submit(late);
  REQUIRE(std::holds_alternative<Refusal>(outcome));
  CHECK(std::get<Refusal>(outcome).why == Refusal::Why::stopping);
}

TEST_CASE("after a restart: running runs are interrupted, rerun when the pipeline says so, and "
          "queued ones run") {
  StoreFiles files;
  std::string plain_running, rerun_running, queued;
  {
    // What a server killed with SIGKILL leaves behind: records it never finished.
    auto store = files.open();
    NewRun run;
    run.trigger = "api";
    run.pipeline = "plain";
    run.inputs = Object{{"ms", 10}};
    plain_running = store->accept(run).value();
    run.pipeline = "again";
    rerun_running = store->accept(run).value();
    queued = store->accept(run).value();
    REQUIRE(store->start(plain_running));
    REQUIRE(store->start(rerun_running));
  }
  Service service(files);
  service.serve(slow_pipeline("plain", ""));
  service.serve(slow_pipeline("again", "on_restart: rerun\n"));
  const std::vector<std::string> reruns = service.dispatcher->recover();
  CHECK(service.status(plain_running) == StoredRunStatus::interrupted);
  CHECK(service.status(rerun_running) == StoredRunStatus::interrupted);
  REQUIRE(reruns.size() == 1);
  const auto rerun = service.dispatcher->wait(reruns[0], 10s);
  CHECK(rerun->status == StoredRunStatus::succeeded);
  CHECK(rerun->rerun_of == rerun_running);
  CHECK(rerun->inputs == Value(Object{{"ms", 10}}));
  CHECK(service.dispatcher->wait(queued, 10s)->status == StoredRunStatus::succeeded);
  // Every run is accounted for, none twice: two interrupted, two succeeded.
  CHECK(service.store->list(RunQuery{}).runs.size() == 4);
}

TEST_CASE("an event is written as the JSON object of its members, whatever its kind and text") {
  // What the feed's events were before they were written directly: a Value object of the
  // same members, serialised. Each kind, with and without each optional member, and texts
  // that need escaping.
  const auto as_value = [](const Event& event, const std::string& time) {
    Object out{{"kind", std::string(to_string(event.kind))}, {"time", time}};
    if (!event.node_id.empty())
      out.emplace_back("node", std::string(event.node_id));
    if (event.item_index >= 0)
      out.emplace_back("item", event.item_index);
    if (event.attempt > 0)
      out.emplace_back("attempt", static_cast<std::int64_t>(event.attempt));
    if (!event.message.empty())
      out.emplace_back("message", std::string(event.message));
    if (event.kind == EventKind::log)
      out.emplace_back("level", std::string(to_string(event.level)));
    if (event.kind == EventKind::node_failed || event.kind == EventKind::node_retrying)
      out.emplace_back("category", std::string(to_string(event.category)));
    if (event.kind == EventKind::node_retrying)
      out.emplace_back("delay_ms", static_cast<std::int64_t>(event.delay.count()));
    if (event.kind == EventKind::run_finished)
      out.emplace_back("status", std::string(to_string(event.run_status)));
    return Value(std::move(out)).to_json();
  };
  const EventKind kinds[] = {EventKind::run_started,  EventKind::run_finished,
                             EventKind::node_started, EventKind::node_succeeded,
                             EventKind::node_failed,  EventKind::node_retrying,
                             EventKind::node_skipped, EventKind::node_cancelled,
                             EventKind::log,          EventKind::node_planned};
  const std::string messages[] = {"", "plain", "quote \" backslash \\ newline \n tab \t",
                                  std::string("nul \0 and \x01", 11), "日本語 \xff"};
  auto feed = std::make_shared<RunFeed>();
  FeedObserver observer(feed);
  std::vector<std::string> expected;
  int variant = 0;
  for (const EventKind kind : kinds)
    for (const std::string& message : messages) {
      Event event;
      event.kind = kind;
      event.time = Clock::now();
      event.node_id = variant % 2 ? std::string_view("say \"hi\"") : std::string_view();
      event.item_index = variant % 3 == 0 ? -1 : variant;
      event.attempt = static_cast<std::uint32_t>(variant % 4);
      event.message = message;
      event.level = static_cast<LogLevel>(variant % 4);
      event.category = static_cast<ErrorCategory>(variant % 10);
      event.delay = std::chrono::milliseconds(variant * 250);
      event.run_status = static_cast<RunStatus>(variant % 3);
      observer.on_event(event);
      // The time as the observer wrote it (its clock offset is its own): read back.
      const std::string written = feed->events().back();
      const std::string time(Value::parse_json(written)["time"].as_string());
      expected.push_back(as_value(event, time));
      ++variant;
    }
  CHECK(feed->events() == expected);
}
