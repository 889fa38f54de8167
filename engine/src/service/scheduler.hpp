#pragma once
// Owns the schedules of served pipelines: on start, the runs a schedule owes for the time the
// server was down (its `missed:` policy); then one timer per schedule that submits a run at
// each fire time, skipping, queueing or overlapping a run still going (its `overlap:`).
// Each fire time is accepted at most once, across restarts too (the run store's fire key).

#include "dispatcher.hpp"
#include "run_store.hpp"

#include <sluice/triggers.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice::service {

/// The fire times a schedule owes when it starts at `now`, counted from `since` (its last
/// accepted fire time, or when it was first served), by its `missed:` policy: none,
/// the latest one, or the latest `max_catch_up`, oldest first.
std::vector<SysSeconds> catch_up_fires(const ScheduleTrigger& trigger, SysSeconds since,
                                       SysSeconds now);

/// What time it is for the scheduler, and how long to sleep until a time: the system clock,
/// or in tests a clock that runs `speed` times faster from `origin`, so that schedules
/// minutes apart fire within a test.
class SchedulerClock {
public:
  SchedulerClock() = default;
  SchedulerClock(SysSeconds origin, double speed);
  SysMillis now() const;
  std::chrono::steady_clock::duration until(SysMillis when) const;

private:
  double speed_ = 1.0;
  SysMillis origin_{};
  std::chrono::steady_clock::time_point started_{};
};

class Scheduler {
public:
  Scheduler(Dispatcher& dispatcher, RunStore& store, boost::asio::any_io_executor executor,
            SchedulerClock clock = {});
  /// Stops the timers and waits until none runs.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Starts the schedules of `pipeline` (served by the dispatcher): catch-up runs first.
  void start(const Pipeline& pipeline);
  /// Stops every schedule and waits until none runs.
  void stop();
  /// Stops the schedules of `pipeline` (a reload: start() the new version after). Returns at
  /// once; a fire time is accepted once whichever version offers it.
  void stop(std::string_view pipeline);

  /// The key the store counts a schedule's fire times by: pipeline, cron, zone and inputs.
  static std::string schedule_key(const Pipeline& pipeline, const ScheduleTrigger& trigger);

private:
  struct Timers;
  void fire(const std::string& pipeline, const ScheduleTrigger& trigger, const std::string& key,
            SysSeconds at, bool catching_up);

  Dispatcher& dispatcher_;
  RunStore& store_;
  boost::asio::any_io_executor executor_;
  SchedulerClock clock_;
  std::shared_ptr<Timers> timers_;
  std::mutex mutex_;
  // Per schedule key: the last run it submitted, for `overlap`.
  std::vector<std::pair<std::string, std::string>> last_runs_;
};

} // namespace sluice::service
