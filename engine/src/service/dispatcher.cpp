// Starting, queueing and ending the runs of served pipelines. A run's record is written
// before the run starts and after it ends; the lock is held across store calls, so the
// store's order of events is the dispatcher's.

#include "dispatcher.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace sluice::service {

namespace asio = boost::asio;

RunEnding ending_of(const RunResult& result) {
  RunEnding ending;
  switch (result.status) {
  case RunStatus::succeeded:
    ending.status = StoredRunStatus::succeeded;
    ending.outputs = result.outputs;
    break;
  case RunStatus::failed:
    ending.status = StoredRunStatus::failed;
    break;
  case RunStatus::cancelled:
    ending.status = StoredRunStatus::cancelled;
    break;
  }
  ending.nodes = node_results_json(result);
  ending.error = result.error;
  return ending;
}

namespace {

std::string full_message(const std::string& pipeline, std::size_t limit) {
  return "pipeline '" + pipeline + "' already has " + std::to_string(limit) +
         (limit == 1 ? " run" : " runs") + " going (concurrency: limit " + std::to_string(limit) +
         ")";
}

} // namespace

Dispatcher::Dispatcher(Engine& engine, RunStore& store, asio::any_io_executor executor,
                       Metrics* metrics)
    : engine_(engine), store_(store), executor_(std::move(executor)), metrics_(metrics),
      shared_(store.queue() != nullptr), writer_(store) {
}

Dispatcher::~Dispatcher() {
  drain(std::chrono::milliseconds(0));
}

void Dispatcher::serve(ServedPipeline served) {
  std::lock_guard lock(mutex_);
  const std::string name(served.pipeline.name());
  PipelineState& state = pipelines_[name];
  state.served = std::make_shared<const ServedPipeline>(std::move(served));
  state.accepting = true;
}

void Dispatcher::retire(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto found = pipelines_.find(name); found != pipelines_.end())
    found->second.accepting = false;
}

void Dispatcher::limit_queue(std::size_t limit) {
  std::lock_guard lock(mutex_);
  queue_limit_ = limit;
}

std::size_t Dispatcher::queued_locked() const {
  std::size_t queued = 0;
  for (const auto& [name, state] : pipelines_)
    queued += state.waiting.size();
  return queued;
}

void Dispatcher::close_feed_locked(std::string_view id) {
  if (auto found = feeds_.find(id); found != feeds_.end()) {
    found->second->close();
    feeds_.erase(found);
  }
}

namespace {

// The record of `run` as the store has it once accepted as `id` (its sequence aside).
StoredRun as_accepted(const NewRun& run, const std::string& id) {
  StoredRun stored;
  stored.id = id;
  stored.pipeline = run.pipeline;
  stored.pipeline_hash = run.pipeline_hash;
  stored.trigger = run.trigger;
  stored.fire = run.fire;
  stored.inputs = run.inputs;
  stored.status = run.status;
  stored.error = run.message;
  stored.rerun_of = run.rerun_of;
  stored.accepted_at = run.accepted_at.value_or(SysMillis{});
  if (run.status == StoredRunStatus::running)
    stored.started_at = stored.accepted_at;
  if (run.status == StoredRunStatus::skipped)
    stored.finished_at = stored.accepted_at;
  return stored;
}

} // namespace

std::variant<Dispatcher::Admission, Refusal> Dispatcher::admit(NewRun run, std::string_view after) {
  std::lock_guard lock(mutex_);
  if (stopping_)
    return Refusal{Refusal::Why::stopping, "the server is shutting down; try again later"};
  const auto found = pipelines_.find(run.pipeline);
  if (found == pipelines_.end() || !found->second.served || !found->second.accepting)
    return Refusal{Refusal::Why::unknown_pipeline,
                   "no pipeline named '" + run.pipeline + "' is served"};
  PipelineState& state = found->second;
  const ServedPipeline& served = *state.served;
  served.pipeline.check_inputs(run.inputs);
  run.pipeline_hash = served.hash;
  run.accepted_at = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const RunPolicy& policy = served.pipeline.run_policy();
  if (shared_)
    return admit_shared_locked(std::move(run), state);
  const bool full =
      policy.concurrency_limit > 0 &&
      state.running + state.waiting.size() + state.reserved_waiting >= policy.concurrency_limit;
  if (full && policy.when_full == WhenFull::fail)
    return Refusal{Refusal::Why::full, full_message(run.pipeline, policy.concurrency_limit) +
                                           " and refuses more " + "(when_full: fail)"};
  // Behind a run of the same schedule that is still going (overlap: queue).
  const bool behind = !after.empty() && pending_locked(after);
  // A run that would wait, when the server already holds as many waiting runs as it may.
  const bool would_wait = (full && policy.when_full == WhenFull::queue) || behind;
  if (would_wait && queued_locked() >= queue_limit_)
    return Refusal{Refusal::Why::queue_full,
                   "the server has " + std::to_string(queue_limit_) +
                       " runs waiting to start, as many as it may hold; try again later"};
  if (full && policy.when_full == WhenFull::skip) {
    run.status = StoredRunStatus::skipped;
    run.message =
        "skipped: " + full_message(run.pipeline, policy.concurrency_limit) + " (when_full: skip)";
  } else if (!full && !behind && run.status == StoredRunStatus::queued) {
    run.status = StoredRunStatus::running; // accepted and started in one write
  }
  if (run.status == StoredRunStatus::running)
    ++state.running;
  else if (run.status == StoredRunStatus::queued)
    ++state.reserved_waiting;
  ++accepting_;
  return Admission{std::move(run), std::string(after), behind};
}

std::variant<Dispatcher::Admission, Refusal> Dispatcher::admit_shared_locked(NewRun run,
                                                                             PipelineState& state) {
  // The queue's workers start it. Its pipeline's limit is theirs to keep (a claim counts the
  // runs going over every process); `when_full: skip` and `fail` are decided here, from the
  // runs the store holds, which other processes may change at the same moment: the limit
  // itself is never passed, but a run may be queued that a moment later would be skipped.
  const RunPolicy& policy = state.served->pipeline.run_policy();
  if (policy.concurrency_limit > 0 && policy.when_full != WhenFull::queue &&
      store_.queue()->active(run.pipeline) >= policy.concurrency_limit) {
    if (policy.when_full == WhenFull::fail)
      return Refusal{Refusal::Why::full, full_message(run.pipeline, policy.concurrency_limit) +
                                             " and refuses more (when_full: fail)"};
    run.status = StoredRunStatus::skipped;
    run.message =
        "skipped: " + full_message(run.pipeline, policy.concurrency_limit) + " (when_full: skip)";
  }
  if (run.status == StoredRunStatus::queued)
    ++state.reserved_waiting;
  ++accepting_;
  return Admission{std::move(run), {}, false};
}

void Dispatcher::release_locked(const Admission& admission, PipelineState& state) {
  if (admission.run.status == StoredRunStatus::running)
    --state.running;
  else if (admission.run.status == StoredRunStatus::queued)
    --state.reserved_waiting;
}

void Dispatcher::abandon(const Admission& admission) {
  std::lock_guard lock(mutex_);
  --accepting_;
  if (auto found = pipelines_.find(admission.run.pipeline); found != pipelines_.end()) {
    release_locked(admission, found->second);
    start_next_locked(found->second);
  }
  changed_.notify_all();
}

std::variant<std::string, Refusal> Dispatcher::settle(Admission& admission,
                                                      const std::optional<std::string>& id) {
  std::lock_guard lock(mutex_);
  --accepting_;
  changed_.notify_all();
  // Still there: a pipeline is never removed, only retired (it may still have runs).
  PipelineState& state = pipelines_.find(admission.run.pipeline)->second;
  NewRun& run = admission.run;
  if (!id) { // a schedule time accepted before: nothing new to run
    release_locked(admission, state);
    start_next_locked(state);
    return Refusal{Refusal::Why::full, "that schedule time was already accepted"};
  }
  if (metrics_)
    metrics_->run_accepted(run.pipeline);
  if (run.status == StoredRunStatus::skipped) {
    if (metrics_)
      metrics_->run_ended(run.pipeline, StoredRunStatus::skipped, Value());
    return *id;
  }
  if (shared_) { // a worker, here or elsewhere, claims it
    --state.reserved_waiting;
    return *id;
  }
  feeds_[*id] = std::make_shared<RunFeed>();
  if (run.status == StoredRunStatus::running) {
    // Its place was taken by admit(); it started when it was accepted.
    run_locked(*id, state, std::move(run.inputs), run.accepted_at);
    return *id;
  }
  --state.reserved_waiting;
  if (admission.behind)
    after_[*id] = admission.after;
  state.waiting.push_back(*id);
  // What it waited for may have ended while it was being written down.
  start_next_locked(state);
  return *id;
}

std::variant<std::string, Refusal> Dispatcher::submit(NewRun run, std::string_view after) {
  auto admitted = admit(std::move(run), after);
  if (auto* refusal = std::get_if<Refusal>(&admitted))
    return std::move(*refusal);
  Admission& admission = std::get<Admission>(admitted);
  std::optional<std::string> id;
  try {
    id = writer_.accept_now(admission.run);
  } catch (...) {
    abandon(admission);
    throw;
  }
  return settle(admission, id);
}

asio::awaitable<std::variant<StoredRun, Refusal>> Dispatcher::async_submit(NewRun run) {
  auto admitted = admit(std::move(run), {});
  if (auto* refusal = std::get_if<Refusal>(&admitted))
    co_return std::move(*refusal);
  Admission& admission = std::get<Admission>(admitted);
  std::optional<std::string> id;
  std::exception_ptr failure;
  try {
    id = co_await writer_.accept(admission.run);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    abandon(admission);
    std::rethrow_exception(failure);
  }
  StoredRun accepted = as_accepted(admission.run, id.value_or(std::string()));
  auto settled = settle(admission, id);
  if (auto* refusal = std::get_if<Refusal>(&settled))
    co_return std::move(*refusal);
  co_return accepted;
}

bool Dispatcher::pending_locked(std::string_view id) const {
  if (active_.contains(id))
    return true;
  for (const auto& [name, state] : pipelines_)
    if (std::find(state.waiting.begin(), state.waiting.end(), id) != state.waiting.end())
      return true;
  return false;
}

void Dispatcher::start_locked(const std::string& id, PipelineState& state, Value inputs) {
  if (!store_.start(id)) { // cancelled while it waited
    close_feed_locked(id);
    return;
  }
  ++state.running;
  run_locked(id, state, std::move(inputs), std::nullopt);
}

void Dispatcher::run_locked(const std::string& id, PipelineState& state, Value inputs,
                            std::optional<SysMillis> started_at) {
  Active& active = active_[id];
  active.pipeline = std::string(state.served->pipeline.name());
  active.started_at = started_at;
  RunOptions options;
  options.inputs = std::move(inputs);
  options.stop = active.stop.get_token();
  options.node_times = true;     // the store keeps them, the metrics' histograms count them
  options.run_small_here = true; // this loop's threads are there to run what is accepted
  if (auto feed = feeds_.find(id); feed != feeds_.end())
    options.observers.push_back(std::make_shared<FeedObserver>(feed->second));
  if (cancelling_) // drain() has given up waiting: this one stops at once too
    active.stop.request_stop();
  // The served version at the start: a reload while it runs does not change it.
  std::shared_ptr<const ServedPipeline> served = state.served;
  asio::co_spawn(
      executor_,
      [this, id, served, options = std::move(options)]() mutable -> asio::awaitable<void> {
        RunEnding ending;
        try {
          ending = ending_of(co_await engine_.async_run(served->pipeline, std::move(options)));
        } catch (const std::exception& e) {
          ending.status = StoredRunStatus::failed;
          ending.error = std::string("the run could not start: ") + e.what();
        }
        finished(id, std::string(served->pipeline.name()), ending);
      },
      asio::detached);
}

void Dispatcher::start_next_locked(PipelineState& state) {
  const RunPolicy& policy = state.served->pipeline.run_policy();
  // Oldest first, passing over runs that wait for another run of their schedule.
  for (auto next = state.waiting.begin();
       !stopping_ && next != state.waiting.end() &&
       (policy.concurrency_limit == 0 || state.running < policy.concurrency_limit);) {
    if (auto gate = after_.find(*next); gate != after_.end()) {
      if (pending_locked(gate->second)) {
        ++next;
        continue;
      }
      after_.erase(gate);
    }
    const std::string id = *next;
    next = state.waiting.erase(next);
    const std::optional<StoredRun> run = store_.find(id);
    if (run && run->status == StoredRunStatus::queued)
      start_locked(id, state, run->inputs);
    else
      close_feed_locked(id); // cancelled meanwhile (sluice runs cancel)
  }
}

void Dispatcher::finished(const std::string& id, const std::string& pipeline,
                          const RunEnding& ending) {
  RunEnding recorded = ending;
  recorded.ended_at =
      std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  {
    std::lock_guard lock(mutex_);
    if (auto feed = feeds_.find(id); feed != feeds_.end()) {
      recorded.events = feed->second->events();
      StoredRun ending;
      ending.status = recorded.status;
      ending.outputs = recorded.outputs;
      ending.nodes = recorded.nodes;
      ending.error = recorded.error;
      ending.finished_at = recorded.ended_at;
      // Known exactly only for runs that started as they were accepted; for the others
      // the waiter reads the store.
      if (auto active = active_.find(id); active != active_.end() && active->second.started_at) {
        ending.started_at = active->second.started_at;
        ending.cancel_requested = active->second.cancel_requested;
        feed->second->set_ending(ending);
      }
    }
    if (metrics_)
      metrics_->run_ended(pipeline, ending.status, ending.nodes);
    active_.erase(id);
    ++writing_;
    if (auto found = pipelines_.find(pipeline); found != pipelines_.end()) {
      --found->second.running;
      start_next_locked(found->second);
    }
  }
  // Written with other endings; the feed closes once the store has the run's ending and
  // events, so a reader that finds no feed finds them there.
  writer_.finish_later(id, std::move(recorded), [this, id] {
    std::lock_guard lock(mutex_);
    close_feed_locked(id);
    --writing_;
    changed_.notify_all();
  });
}

Value Dispatcher::parse_input(std::string_view pipeline, std::string_view input,
                              std::string_view text) const {
  std::shared_ptr<const ServedPipeline> served;
  {
    std::lock_guard lock(mutex_);
    if (auto found = pipelines_.find(pipeline); found != pipelines_.end())
      served = found->second.served;
  }
  if (!served)
    throw InputError("no pipeline named '" + std::string(pipeline) + "' is served");
  return served->pipeline.parse_input(input, text);
}

std::optional<StoredRunStatus> Dispatcher::cancel(std::string_view id) {
  std::lock_guard lock(mutex_);
  const std::optional<StoredRunStatus> status = store_.cancel(id);
  if (auto active = active_.find(id); active != active_.end()) {
    active->second.cancel_requested = true;
    active->second.stop.request_stop();
  } else
    close_feed_locked(id); // cancelled before it started: nothing more will happen to it
  for (auto& [name, state] : pipelines_)
    std::erase(state.waiting, id);
  after_.erase(std::string(id));
  // A run waiting behind this one may go now.
  for (auto& [name, state] : pipelines_)
    if (state.served)
      start_next_locked(state);
  changed_.notify_all();
  return status;
}

std::vector<std::string> Dispatcher::recover() {
  std::vector<std::string> reruns;
  // A shared queue's workers take back the runs of a process that died and resume them.
  if (shared_)
    return reruns;
  for (const StoredRun& interrupted : store_.recover()) {
    std::shared_ptr<const ServedPipeline> served;
    {
      std::lock_guard lock(mutex_);
      if (auto found = pipelines_.find(interrupted.pipeline); found != pipelines_.end())
        served = found->second.served;
    }
    if (!served || served->pipeline.run_policy().on_restart != OnRestart::rerun)
      continue;
    NewRun again;
    again.pipeline = interrupted.pipeline;
    again.trigger = interrupted.trigger + " (rerun after restart)";
    again.inputs = interrupted.inputs;
    again.rerun_of = interrupted.id;
    try {
      const auto outcome = submit(std::move(again));
      if (const auto* id = std::get_if<std::string>(&outcome))
        reruns.push_back(*id);
    } catch (const InputError&) {
      // The pipeline changed its inputs since: the run stays interrupted.
    }
  }
  std::lock_guard lock(mutex_);
  for (const StoredRun& queued : store_.queued()) {
    auto found = pipelines_.find(queued.pipeline);
    if (found == pipelines_.end() || !found->second.served)
      continue; // stays queued until a server serves its pipeline
    PipelineState& state = found->second;
    if (std::find(state.waiting.begin(), state.waiting.end(), queued.id) == state.waiting.end() &&
        !active_.contains(queued.id)) {
      state.waiting.push_back(queued.id);
      feeds_.try_emplace(queued.id, std::make_shared<RunFeed>());
    }
  }
  for (auto& [name, state] : pipelines_)
    if (state.served)
      start_next_locked(state);
  return reruns;
}

void Dispatcher::drain(std::chrono::milliseconds grace) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  const auto settled = [this] { return active_.empty() && accepting_ == 0 && writing_ == 0; };
  changed_.wait_for(lock, grace, settled);
  cancelling_ = true;
  for (auto& [id, active] : active_)
    active.stop.request_stop();
  // Cancelled nodes get the engine's cancel grace; the endings are recorded as they come.
  changed_.wait(lock, settled);
}

std::optional<StoredRun> Dispatcher::wait(std::string_view id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<StoredRun> run;
  // Woken at each ending and cancellation: reading the record again is cheap next to a run.
  // Runs of a shared queue end in other processes, which wake nobody here: their record is
  // looked at every 50 ms instead.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto step = shared_ ? std::chrono::milliseconds(50) : timeout;
  run = store_.find(id);
  while (run && !is_final(run->status) && std::chrono::steady_clock::now() < deadline) {
    changed_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + step));
    run = store_.find(id);
  }
  return run;
}

std::shared_ptr<RunFeed> Dispatcher::feed(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto found = feeds_.find(id);
  return found == feeds_.end() ? nullptr : found->second;
}

Metrics::Gauges Dispatcher::gauges() const {
  // Runs here are a share of the cluster's: the store counts them all (an indexed count).
  // Not while it is known to be away: a scrape would wait out the store's retries.
  if (shared_ && store_.reachable()) {
    try {
      const RunQueue::Counts counts = store_.queue()->counts();
      return Metrics::Gauges{counts.running, counts.queued};
    } catch (const std::exception&) {
      // The database is away (/readyz says so): this process's own view, as without one.
    }
  }
  std::lock_guard lock(mutex_);
  return Metrics::Gauges{active_.size(), queued_locked()};
}

} // namespace sluice::service
