// Schedules: catch-up on start, then a timer per schedule. A timer sleeps on the steady clock
// until the next fire time of the wall clock, and checks the wall clock again when it wakes,
// so a clock step or an early wake-up never fires a time before it has come.

#include "scheduler.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <condition_variable>
#include <map>

namespace sluice::service {

namespace asio = boost::asio;
namespace chrono = std::chrono;

std::vector<SysSeconds> catch_up_fires(const ScheduleTrigger& trigger, SysSeconds since,
                                       SysSeconds now) {
  switch (trigger.missed) {
  case MissedRuns::none:
    return {};
  case MissedRuns::last:
    return trigger.schedule.missed_between(since, now, 1);
  case MissedRuns::all:
    return trigger.schedule.missed_between(since, now, trigger.max_catch_up);
  }
  return {};
}

SchedulerClock::SchedulerClock(SysSeconds origin, double speed)
    : speed_(speed), origin_(origin), started_(chrono::steady_clock::now()) {
}

SysMillis SchedulerClock::now() const {
  if (origin_ == SysMillis{})
    return chrono::floor<chrono::milliseconds>(chrono::system_clock::now());
  const auto elapsed = chrono::duration<double, std::milli>(chrono::steady_clock::now() - started_);
  return origin_ + chrono::milliseconds(static_cast<std::int64_t>(elapsed.count() * speed_));
}

chrono::steady_clock::duration SchedulerClock::until(SysMillis when) const {
  const auto left = when - now();
  if (left <= chrono::milliseconds(0))
    return chrono::steady_clock::duration::zero();
  return chrono::duration_cast<chrono::steady_clock::duration>(
      chrono::duration<double, std::milli>(static_cast<double>(left.count()) / speed_));
}

struct Scheduler::Timers {
  std::mutex mutex;
  std::condition_variable idle;
  std::size_t loops = 0;
  bool stopped = false;
  /// Per pipeline: raised when its schedules stop (a reload), so that loops started before
  /// end; loops compare it with the one they started under.
  std::map<std::string, std::uint64_t, std::less<>> generation;
  std::vector<std::pair<asio::steady_timer*, std::string>> sleeping;

  /// With `mutex` held: wake the sleeping loops of `pipeline` (every loop when empty).
  void wake_locked(std::string_view pipeline, const std::shared_ptr<Timers>& self) {
    for (const auto& [timer, name] : sleeping)
      if (pipeline.empty() || name == pipeline)
        asio::post(timer->get_executor(), [timer = timer, self] {
          std::lock_guard lock(self->mutex);
          // Still sleeping (not woken and gone meanwhile): wake it.
          if (std::find_if(self->sleeping.begin(), self->sleeping.end(), [&](const auto& entry) {
                return entry.first == timer;
              }) != self->sleeping.end())
            timer->cancel();
        });
  }
  bool current_locked(const std::string& pipeline, std::uint64_t started_under) const {
    const auto found = generation.find(pipeline);
    return !stopped && (found == generation.end() ? 0 : found->second) == started_under;
  }
};

Scheduler::Scheduler(Dispatcher& dispatcher, RunStore& store, asio::any_io_executor executor,
                     SchedulerClock clock)
    : dispatcher_(dispatcher), store_(store), executor_(std::move(executor)), clock_(clock),
      timers_(std::make_shared<Timers>()) {
}

Scheduler::~Scheduler() {
  stop();
}

std::string Scheduler::schedule_key(const Pipeline& pipeline, const ScheduleTrigger& trigger) {
  // What the schedule is rather than where it is in the file: reordering `triggers:` keeps
  // its history, and a changed cron or zone is a new schedule that owes nothing from before.
  return std::string(pipeline.name()) + "|" + trigger.schedule.cron() + "|" +
         trigger.schedule.time_zone() + "|" + trigger.inputs.to_json();
}

void Scheduler::start(const Pipeline& pipeline) {
  const std::string name(pipeline.name());
  for (const ScheduleTrigger& trigger : pipeline.triggers().schedules) {
    const std::string key = schedule_key(pipeline, trigger);
    const SysSeconds now = chrono::floor<chrono::seconds>(clock_.now());
    store_.note_schedule(key, now);
    const SysSeconds since = store_.last_fire(key).value_or(now);
    for (SysSeconds at : catch_up_fires(trigger, since, now))
      fire(name, trigger, key, at, /*catching_up=*/true);
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(timers_->mutex);
      if (timers_->stopped)
        return;
      ++timers_->loops;
      generation = timers_->generation[name];
    }
    asio::co_spawn(
        executor_,
        [this, timers = timers_, name, trigger, key, generation,
         since = std::max(since, now)]() mutable -> asio::awaitable<void> {
          asio::steady_timer timer(co_await asio::this_coro::executor);
          SysSeconds last = since;
          for (std::optional<SysSeconds> next; (next = trigger.schedule.next_after(last));) {
            {
              std::lock_guard lock(timers->mutex);
              if (!timers->current_locked(name, generation))
                break;
              timers->sleeping.emplace_back(&timer, name);
            }
            timer.expires_after(clock_.until(*next));
            boost::system::error_code ignored;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
            {
              std::lock_guard lock(timers->mutex);
              std::erase_if(timers->sleeping,
                            [&](const auto& entry) { return entry.first == &timer; });
              if (!timers->current_locked(name, generation))
                break;
            }
            if (clock_.now() < *next)
              continue; // woke early (or the wall clock went back): sleep again
            fire(name, trigger, key, *next, /*catching_up=*/false);
            last = *next;
          }
          std::lock_guard lock(timers->mutex);
          --timers->loops;
          timers->idle.notify_all();
        },
        asio::detached);
  }
}

void Scheduler::stop() {
  std::unique_lock lock(timers_->mutex);
  timers_->stopped = true;
  timers_->wake_locked({}, timers_);
  timers_->idle.wait(lock, [this] { return timers_->loops == 0; });
}

void Scheduler::stop(std::string_view pipeline) {
  std::lock_guard lock(timers_->mutex);
  ++timers_->generation[std::string(pipeline)];
  timers_->wake_locked(pipeline, timers_);
}

void Scheduler::fire(const std::string& pipeline, const ScheduleTrigger& trigger,
                     const std::string& key, SysSeconds at, bool catching_up) {
  NewRun run;
  run.pipeline = pipeline;
  run.trigger = "schedule " + trigger.schedule.cron() + " (" + trigger.schedule.time_zone() +
                ") at " + to_iso8601(at) + (catching_up ? ", caught up after a stop" : "");
  run.inputs = trigger.inputs;
  run.fire = ScheduleFire{key, at};
  std::string previous;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [schedule, id] : last_runs_)
      if (schedule == key)
        previous = id;
  }
  std::string after;
  if (!previous.empty()) {
    const std::optional<StoredRun> before = store_.find(previous);
    if (before && !is_final(before->status)) {
      // Catch-up runs are owed: they queue behind each other whatever `overlap` says.
      if (catching_up || trigger.overlap == Overlap::queue) {
        after = previous;
      } else if (trigger.overlap == Overlap::skip) {
        run.status = StoredRunStatus::skipped;
        run.message = "skipped: the previous run of this schedule (" + previous +
                      ") was still going (overlap: skip)";
      }
    }
  }
  try {
    const auto outcome = dispatcher_.submit(std::move(run), after);
    const auto* id = std::get_if<std::string>(&outcome);
    if (!id)
      return;
    // A skipped run never went; the one before it is still the one to wait for.
    if (const auto stored = store_.find(*id); !stored || stored->status == StoredRunStatus::skipped)
      return;
    std::lock_guard lock(mutex_);
    auto entry = std::find_if(last_runs_.begin(), last_runs_.end(),
                              [&](const auto& e) { return e.first == key; });
    if (entry == last_runs_.end())
      last_runs_.emplace_back(key, *id);
    else
      entry->second = *id;
  } catch (const std::exception&) {
    // Inputs were checked when the pipeline loaded and the store throws only when the disk
    // fails: the fire time is lost, and the next one tries again.
  }
}

} // namespace sluice::service
