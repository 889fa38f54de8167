// Schedules firing for real: a real engine, dispatcher and run store, with a scheduler clock
// that runs 600 times faster than the wall clock (a minute passes in 100 ms), so that a
// schedule of every minute fires several times within a test. Covers the missed-run policies
// after a stop and a start, and the overlap policies.

#include "run_store_files.hpp"
#include "service/scheduler.hpp"

#include <doctest/doctest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <thread>

using namespace sluice;
using namespace sluice::service;
using sluice::service::test::StoreFiles;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr double speed = 600; // a minute in 100 ms

SysSeconds utc(int hour, int minute, int second = 0) {
  return SysSeconds(std::chrono::sys_days(std::chrono::year(2027) / 5 / 1)) +
         std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
}

std::string every_minute(const std::string& schedule_extra, int delay_ms) {
  return "version: 1\nname: tick\n"
         "nodes:\n"
         "  wait: { type: core.delay, with: { ms: " +
         std::to_string(delay_ms) +
         " } }\n"
         "triggers:\n"
         "  - schedule: { cron: \"* * * * *\"" +
         schedule_extra + " }\n";
}

struct Service {
  explicit Service(const StoreFiles& files) : store(files.open()) {}
  ~Service() {
    scheduler.reset();
    dispatcher.reset();
    guard.reset();
    thread.join();
  }
  // Serves `yaml` and starts its schedules with a fast clock that starts at `origin`.
  void start(const std::string& yaml, SysSeconds origin) {
    pipeline = engine.load_string(yaml);
    dispatcher = std::make_unique<Dispatcher>(engine, *store, io.get_executor());
    dispatcher->serve(ServedPipeline{pipeline, "hash"});
    scheduler = std::make_unique<Scheduler>(*dispatcher, *store, io.get_executor(),
                                            SchedulerClock(origin, speed));
    scheduler->start(pipeline);
  }
  // Every run, oldest first, once none is queued or running.
  std::vector<StoredRun> settled_runs() {
    scheduler->stop();
    RunQuery all;
    all.limit = 1000;
    // Runs queued behind others still run (a drain would leave them queued for a restart).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    const auto unsettled = [&] {
      const auto runs = store->list(all).runs;
      return std::any_of(runs.begin(), runs.end(),
                         [](const StoredRun& r) { return !is_final(r.status); });
    };
    while (unsettled() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    dispatcher->drain(10s);
    auto runs = store->list(all).runs;
    std::reverse(runs.begin(), runs.end());
    return runs;
  }

  std::unique_ptr<RunStore> store;
  Engine engine;
  Pipeline pipeline;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<Scheduler> scheduler;
};

std::vector<std::string> fire_times(const std::vector<StoredRun>& runs) {
  std::vector<std::string> times;
  for (const StoredRun& run : runs)
    times.push_back(run.fire ? to_iso8601(run.fire->at) : "no fire time");
  return times;
}

// No two of `runs` ran at once: each started after the one before it had finished.
void check_one_at_a_time(const std::vector<StoredRun>& runs) {
  std::vector<std::pair<SysMillis, SysMillis>> spans;
  for (const StoredRun& run : runs)
    if (run.started_at)
      spans.emplace_back(*run.started_at, run.finished_at.value_or(SysMillis::max()));
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i)
    CHECK(spans[i].first >= spans[i - 1].second);
}

} // namespace

TEST_CASE("the runs a schedule owes after a stop, by its missed policy") {
  Engine engine;
  const auto trigger_with = [&](const std::string& missed) {
    return engine
        .load_string("version: 1\nnodes:\n  x: { type: core.template, with: { template: x } }\n"
                     "triggers:\n  - schedule: { cron: \"0 * * * *\", " +
                     missed + " }\n")
        .triggers()
        .schedules.front();
  };
  const SysSeconds since = utc(0, 30);
  const SysSeconds now = utc(5, 10);
  CHECK(catch_up_fires(trigger_with("missed: none"), since, now).empty());
  CHECK(catch_up_fires(trigger_with("missed: last"), since, now) == std::vector{utc(5, 0)});
  CHECK(catch_up_fires(trigger_with("missed: all, max_catch_up: 3"), since, now) ==
        std::vector{utc(3, 0), utc(4, 0), utc(5, 0)});
  CHECK(catch_up_fires(trigger_with("missed: all"), since, now).size() == 5);
  CHECK(catch_up_fires(trigger_with("missed: last"), now, now).empty());
}

TEST_CASE("a schedule of every minute fires each minute, once") {
  StoreFiles files;
  Service service(files);
  service.start(every_minute("", 0), utc(8, 59, 50));
  std::this_thread::sleep_for(380ms); // to about 09:03:38
  const auto runs = service.settled_runs();
  REQUIRE(runs.size() >= 3);
  const std::vector<std::string> times = fire_times(runs);
  CHECK(std::vector<std::string>(times.begin(), times.begin() + 3) ==
        std::vector<std::string>{"2027-05-01T09:00:00Z", "2027-05-01T09:01:00Z",
                                 "2027-05-01T09:02:00Z"});
  for (const StoredRun& run : runs) {
    CHECK(run.status == StoredRunStatus::succeeded);
    CHECK(run.trigger.starts_with("schedule * * * * * (UTC) at "));
  }
}

TEST_CASE("overlap: skip records the times that came while the previous run went on") {
  StoreFiles files;
  Service service(files);
  // Each run takes 150 ms: a minute and a half of the schedule's clock.
  service.start(every_minute(", overlap: skip", 150), utc(8, 59, 50));
  std::this_thread::sleep_for(560ms);
  const auto runs = service.settled_runs();
  const auto ran = std::count_if(runs.begin(), runs.end(), [](const StoredRun& r) {
    return r.status == StoredRunStatus::succeeded;
  });
  const auto skipped = std::count_if(runs.begin(), runs.end(), [](const StoredRun& r) {
    return r.status == StoredRunStatus::skipped;
  });
  CHECK(ran >= 2);
  CHECK(skipped >= 1);
  for (const StoredRun& run : runs)
    if (run.status == StoredRunStatus::skipped)
      CHECK(run.error.find("was still going (overlap: skip)") != std::string::npos);
  check_one_at_a_time(runs);
}

TEST_CASE("overlap: queue runs every time, one after another") {
  StoreFiles files;
  Service service(files);
  service.start(every_minute(", overlap: queue", 150), utc(8, 59, 50));
  std::this_thread::sleep_for(400ms);
  const auto runs = service.settled_runs();
  REQUIRE(runs.size() >= 3);
  for (const StoredRun& run : runs)
    CHECK(run.status == StoredRunStatus::succeeded);
  check_one_at_a_time(runs);
}

TEST_CASE("missed runs after a stop and a start: none, last, all; nothing fires twice") {
  for (const std::string missed : {"none", "last", "all, max_catch_up: 3"}) {
    CAPTURE(missed);
    StoreFiles files;
    std::size_t first_runs = 0;
    {
      Service first(files);
      first.start(every_minute(", missed: " + missed, 0), utc(8, 59, 50));
      std::this_thread::sleep_for(180ms); // 09:00 and 09:01 fire (09:02 on a slow machine)
      first_runs = first.settled_runs().size();
      CHECK(first_runs >= 2);
    }
    // Down from about 09:01:40 until 09:10:30: 09:02 (or 09:03) ... 09:10 were missed.
    Service second(files);
    second.start(every_minute(", missed: " + missed, 0), utc(9, 10, 30));
    const auto runs = second.settled_runs(); // stopped at once: only catch-up runs are new
    std::vector<std::string> times = fire_times(runs);
    // The first server's, and any regular fire time that came before the stop below.
    times.erase(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(first_runs));
    std::erase(times, "2027-05-01T09:11:00Z");
    if (missed == "none")
      CHECK(times.empty());
    else if (missed == "last")
      CHECK(times == std::vector<std::string>{"2027-05-01T09:10:00Z"});
    else
      CHECK(times == std::vector<std::string>{"2027-05-01T09:08:00Z", "2027-05-01T09:09:00Z",
                                              "2027-05-01T09:10:00Z"});
    for (const StoredRun& run : runs)
      CHECK(run.status == StoredRunStatus::succeeded);
  }
}
