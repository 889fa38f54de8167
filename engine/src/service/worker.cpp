// See worker.hpp. One thread claims (and looks after what is held); each run has a thread
// that blocks in Engine::run; checkpoints are written by a thread of their own, because an
// engine observer must not wait for the database.

#include "worker.hpp"

#include "run_feed.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <set>

namespace sluice::service {

namespace {

using Clock = std::chrono::steady_clock;

// The nodes a resumed run need not run again become mocks of how they ended; a node with side
// effects that had started but not ended (its start is written before it runs) is repeated
// (RunOptions::repeated, with the time it started) when its type is idempotent or reconciles
// (looks for what the lost attempt did before doing it again). Returns the first such node
// that must not run twice (neither); empty when the run can go on. Nodes without side effects
// and without an ending simply run (again).
std::string plan_resume(const Engine& engine, const Pipeline& pipeline,
                        const std::vector<Checkpoint>& checkpoints, std::vector<NodeMock>& mocks,
                        std::vector<RepeatedNode>& repeated) {
  std::set<std::string, std::less<>> ended;
  std::map<std::string, std::optional<std::chrono::system_clock::time_point>, std::less<>> started;
  for (const Checkpoint& checkpoint : checkpoints) {
    switch (checkpoint.ending) {
    case Checkpoint::Ending::succeeded:
      mocks.push_back(NodeMock{checkpoint.node, checkpoint.output, std::nullopt});
      break;
    case Checkpoint::Ending::failed:
      mocks.push_back(NodeMock{checkpoint.node, Value(),
                               NodeMock::Failure{checkpoint.category, checkpoint.message}});
      break;
    case Checkpoint::Ending::skipped: // decided again: its `if:` sees the same outputs
      break;
    case Checkpoint::Ending::started: {
      const Value* at = checkpoint.output.find("started_at");
      started[checkpoint.node] = at && at->is_int()
                                     ? std::optional<std::chrono::system_clock::time_point>(
                                           store_detail::from_unix_ms(at->as_int()))
                                     : std::nullopt;
      continue;
    }
    }
    ended.insert(checkpoint.node);
  }
  for (const std::string_view node : pipeline.node_ids()) {
    const auto start = started.find(node);
    if (ended.contains(node) || start == started.end())
      continue;
    // Reconciling needs to know since when to look: a start recorded without its time (by an
    // older Sluice) is not enough.
    if (!pipeline.is_idempotent(node) &&
        !(engine.reconciles(pipeline.node_type(node)) && start->second))
      return std::string(node);
    repeated.push_back(RepeatedNode{std::string(node), start->second});
  }
  return {};
}

// Endings go to `record` (written soon, on the checkpoint thread); the start of a node with
// side effects goes to `record_now` and is written before the node runs (the observer is
// called before it starts), so a resume never takes a node that acted for one that did not.
class CheckpointObserver final : public RunObserver {
public:
  using Record = std::function<void(const std::string&, Checkpoint)>;
  CheckpointObserver(std::string run_id, const Pipeline& pipeline, Record record, Record record_now)
      : run_id_(std::move(run_id)), record_(std::move(record)), record_now_(std::move(record_now)) {
    for (const std::string_view node : pipeline.node_ids())
      if (pipeline.has_side_effects(node))
        effectful_.emplace(node);
  }

  void on_event(const Event& event) override {
    if (event.kind == EventKind::node_started) {
      const auto node = effectful_.find(event.node_id);
      if (node == effectful_.end())
        return;
      {
        std::lock_guard lock(mutex_);
        if (!started_.insert(*node).second)
          return; // once per node: later attempts and for_each elements add nothing
      }
      Checkpoint checkpoint;
      checkpoint.node = *node;
      checkpoint.ending = Checkpoint::Ending::started;
      // Since when a resume that runs it again looks for what this attempt did.
      checkpoint.output = Object{{"started_at", store_detail::now_unix_ms()}};
      record_now_(run_id_, std::move(checkpoint));
      return;
    }
    if (event.item_index >= 0) // a for_each element: the node ends with its own event
      return;
    Checkpoint checkpoint;
    checkpoint.node = std::string(event.node_id);
    switch (event.kind) {
    case EventKind::node_succeeded:
      checkpoint.ending = Checkpoint::Ending::succeeded;
      if (event.output)
        checkpoint.output = *event.output;
      break;
    case EventKind::node_failed:
      checkpoint.ending = Checkpoint::Ending::failed;
      checkpoint.category = event.category;
      checkpoint.message = std::string(event.message);
      break;
    case EventKind::node_skipped:
      checkpoint.ending = Checkpoint::Ending::skipped;
      break;
    default:
      return;
    }
    record_(run_id_, std::move(checkpoint));
  }

private:
  std::string run_id_;
  Record record_;
  Record record_now_;
  std::set<std::string, std::less<>> effectful_;
  std::mutex mutex_;
  std::set<std::string, std::less<>> started_;
};

} // namespace

// Writes checkpoints in the order they came, on a thread of its own; what is pending when it
// is destroyed is written first.
class Worker::Checkpoints {
public:
  explicit Checkpoints(RunQueue& queue) : queue_(queue) {
    thread_ = std::jthread([this](std::stop_token stop) { drain(stop); });
  }
  ~Checkpoints() {
    thread_.request_stop();
    thread_.join();
  }

  void push(const std::string& run_id, Checkpoint checkpoint) {
    {
      std::lock_guard lock(mutex_);
      pending_.emplace_back(run_id, std::move(checkpoint));
    }
    changed_.notify_one();
  }

private:
  void drain(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, stop, [&] { return !pending_.empty(); });
      if (pending_.empty())
        return; // stopped with nothing left
      std::deque<std::pair<std::string, Checkpoint>> batch;
      batch.swap(pending_);
      lock.unlock();
      for (const auto& [run_id, checkpoint] : batch) {
        try {
          queue_.checkpoint(run_id, checkpoint);
        } catch (const std::exception&) {
          // Without it a resume runs the node again: safe, by its start record (a node
          // with side effects) or because it changes nothing outside the run.
        }
      }
      lock.lock();
    }
  }

  RunQueue& queue_;
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<std::pair<std::string, Checkpoint>> pending_;
  std::jthread thread_;
};

struct Worker::Active {
  std::stop_source stop;
  std::thread thread;
  bool done = false;
};

Worker::Worker(Engine& engine, RunStore& store, RunQueue& queue, WorkerOptions options)
    : engine_(engine), store_(store), queue_(queue), options_(std::move(options)),
      checkpoints_(std::make_unique<Checkpoints>(queue)) {
  options_.concurrency = std::max<std::size_t>(1, options_.concurrency);
}

Worker::~Worker() {
  stop(std::chrono::milliseconds(0));
}

void Worker::say(std::string_view line) const {
  if (options_.log)
    options_.log(line);
}

void Worker::serve(std::shared_ptr<const ServedPipeline> served) {
  std::lock_guard lock(mutex_);
  served_[std::string(served->pipeline.name())] = std::move(served);
}

void Worker::retire(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto found = served_.find(name); found != served_.end())
    served_.erase(found);
}

void Worker::start() {
  loop_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

std::size_t Worker::running() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(
      active_.begin(), active_.end(), [](const auto& entry) { return !entry.second->done; }));
}

void Worker::stop(std::chrono::milliseconds grace) {
  if (loop_.joinable()) {
    loop_.request_stop();
    changed_.notify_all();
    loop_.join();
  }
  std::unique_lock lock(mutex_);
  const auto all_done = [&] {
    return std::all_of(active_.begin(), active_.end(),
                       [](const auto& entry) { return entry.second->done; });
  };
  if (!changed_.wait_for(lock, grace, all_done)) {
    for (auto& [id, active] : active_)
      active->stop.request_stop(); // recorded as cancelled by the run's own thread
  }
  std::vector<std::shared_ptr<Active>> joining;
  for (auto& [id, active] : active_)
    joining.push_back(active);
  active_.clear();
  lock.unlock();
  for (const auto& active : joining)
    if (active->thread.joinable())
      active->thread.join();
}

void Worker::loop(std::stop_token stop) {
  Clock::time_point next_look = Clock::now();
  while (!stop.stop_requested()) {
    // Threads of runs that ended are joined here, never by themselves.
    std::vector<std::shared_ptr<Active>> ended;
    {
      std::lock_guard lock(mutex_);
      for (auto it = active_.begin(); it != active_.end();)
        if (it->second->done) {
          ended.push_back(it->second);
          it = active_.erase(it);
        } else
          ++it;
    }
    for (const auto& active : ended)
      active->thread.join();

    if (Clock::now() >= next_look) {
      next_look = Clock::now() + options_.poll;
      try {
        if (const std::size_t reclaimed = queue_.reclaim(); reclaimed > 0)
          say(std::to_string(reclaimed) +
              " runs whose process stopped answering went back to the queue, to be resumed");
        look_after_held();
      } catch (const std::exception& e) {
        say(std::string("the queue cannot be reached: ") + e.what());
      }
    }
    if (running() < options_.concurrency) {
      bool claimed = false;
      try {
        claimed = claim_one();
      } catch (const std::exception& e) {
        say(std::string("claiming a run failed: ") + e.what());
      }
      if (claimed)
        continue;
      queue_.wait_for_work(options_.poll);
    } else {
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, options_.poll, [&] {
        return stop.stop_requested() ||
               std::count_if(active_.begin(), active_.end(), [](const auto& entry) {
                 return !entry.second->done;
               }) < static_cast<std::ptrdiff_t>(options_.concurrency);
      });
    }
  }
}

void Worker::look_after_held() {
  std::vector<std::string> running;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, active] : active_)
      if (!active->done)
        running.push_back(id);
  }
  const HeldRuns held = queue_.held(running);
  std::lock_guard lock(mutex_);
  for (const std::string& id : held.cancel_requested)
    if (auto found = active_.find(id); found != active_.end())
      found->second->stop.request_stop();
  for (const std::string& id : held.lost)
    if (auto found = active_.find(id); found != active_.end()) {
      found->second->stop.request_stop();
      say("run " + id + " was taken back (this process could not renew its lease): stopped here");
    }
}

bool Worker::claim_one() {
  RunQueue::Limits limits;
  std::map<std::string, std::shared_ptr<const ServedPipeline>, std::less<>> served;
  {
    std::lock_guard lock(mutex_);
    served = served_;
  }
  for (const auto& [name, pipeline] : served)
    limits[name] = pipeline->pipeline.run_policy().concurrency_limit;
  std::optional<ClaimedRun> claimed = queue_.claim(limits);
  if (!claimed)
    return false;
  auto active = std::make_shared<Active>();
  const std::string id = claimed->run.id;
  std::shared_ptr<const ServedPipeline> pipeline = served.at(claimed->run.pipeline);
  std::lock_guard lock(mutex_);
  active_[id] = active;
  active->thread = std::thread([this, active, pipeline, run = std::move(*claimed)]() mutable {
    execute(std::move(run), pipeline, active->stop.get_token());
    {
      std::lock_guard done_lock(mutex_);
      active->done = true;
    }
    changed_.notify_all();
  });
  return true;
}

void Worker::execute(ClaimedRun claimed, std::shared_ptr<const ServedPipeline> served,
                     std::stop_token stop) {
  const std::string id = claimed.run.id;
  RunOptions options;
  options.inputs = claimed.run.inputs;
  options.stop = stop;
  options.node_times = true; // the store keeps them, the metrics' histograms count them
  auto feed = std::make_shared<RunFeed>();
  options.observers.push_back(std::make_shared<FeedObserver>(feed));
  options.observers.push_back(std::make_shared<CheckpointObserver>(
      id, served->pipeline,
      [this](const std::string& run_id, Checkpoint checkpoint) {
        checkpoints_->push(run_id, std::move(checkpoint));
      },
      [this](const std::string& run_id, const Checkpoint& checkpoint) {
        try {
          queue_.checkpoint(run_id, checkpoint);
        } catch (const std::exception& e) {
          say("run " + run_id + ": the start of node '" + checkpoint.node +
              "' could not be recorded (" + e.what() +
              "); if this process dies now, a resume cannot tell that it ran");
        }
      }));
  RunEnding ending;
  bool decided = false;
  if (claimed.resumes > 0) {
    const std::string unsafe = plan_resume(engine_, served->pipeline, claimed.checkpoints,
                                           options.mocks, options.repeated);
    if (!unsafe.empty()) {
      ending.status = StoredRunStatus::interrupted;
      ending.error = "interrupted: the process running it stopped, and node '" + unsafe +
                     "' may or may not have run; it changes things outside the run, is not "
                     "idempotent and cannot look for what it did, so it is not run again. Check "
                     "what it did, then run the pipeline again";
      decided = true;
    } else
      say("resuming run " + id + " after the " + std::to_string(options.mocks.size()) +
          " nodes it had finished");
  }
  if (!decided) {
    try {
      ending = ending_of(engine_.run(served->pipeline, std::move(options)));
      ending.events = feed->events();
    } catch (const std::exception& e) {
      ending.status = StoredRunStatus::failed;
      ending.error = std::string("the run could not start: ") + e.what();
    }
  }
  ending.ended_at = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  try {
    store_.finish(id, ending);
    if (options_.metrics)
      options_.metrics->run_ended(served->pipeline.name(), ending.status, ending.nodes);
  } catch (const std::logic_error&) {
    say("run " + id +
        " ended here after another process had taken it back; this ending is "
        "dropped");
  } catch (const std::exception& e) {
    say("run " + id + ": its ending could not be written (" + e.what() +
        "); it goes back to the queue and resumes after its checkpoints");
  }
}

} // namespace sluice::service
