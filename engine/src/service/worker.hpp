#pragma once
// Runs what a shared queue (run_queue.hpp) holds, for the pipelines this process serves:
// `sluice worker`, and `sluice serve` on a shared store. Claims runs while it has room, runs
// each on a thread of its own (the engine's Engine::run), records every node as it ends, and
// writes the ending. A run claimed back from a holder that died resumes after its
// checkpoints; a node that may have been running then is run again only when that is safe
// (no side effects, or idempotent), otherwise the run ends as interrupted, naming it.

#include "dispatcher.hpp"
#include "run_queue.hpp"

#include <sluice/engine.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sluice::service {

struct WorkerOptions {
  /// Runs at once in this process.
  std::size_t concurrency = 4;
  /// How often the queue is looked at without being told (and lost or cancelled runs and
  /// runs whose holder died are looked for).
  std::chrono::milliseconds poll{1000};
  /// Lines about what the worker does, never a secret. Null: none.
  std::function<void(std::string_view)> log;
  /// Counts the runs it ends (a server's /metrics). Null: none.
  Metrics* metrics = nullptr;
};

class Worker {
public:
  Worker(Engine& engine, RunStore& store, RunQueue& queue, WorkerOptions options);
  /// stop(0) if not stopped.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Runs of `served` (by its name) are claimed from now on, in this version.
  void serve(std::shared_ptr<const ServedPipeline> served);
  /// Runs of pipeline `name` are no longer claimed; those running go on.
  void retire(std::string_view name);
  /// Starts claiming (a thread of its own).
  void start();
  /// Claims no more, lets running runs finish within `grace`, cancels the rest (recorded as
  /// cancelled) and waits for them.
  void stop(std::chrono::milliseconds grace);

  /// Runs going here now.
  std::size_t running() const;

private:
  struct Active;
  class Checkpoints;

  void loop(std::stop_token stop);
  void look_after_held();
  bool claim_one();
  void execute(ClaimedRun claimed, std::shared_ptr<const ServedPipeline> served,
               std::stop_token stop);
  void say(std::string_view line) const;

  Engine& engine_;
  RunStore& store_;
  RunQueue& queue_;
  WorkerOptions options_;
  std::unique_ptr<Checkpoints> checkpoints_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<const ServedPipeline>, std::less<>> served_;
  std::map<std::string, std::shared_ptr<Active>, std::less<>> active_;
  std::jthread loop_;
};

} // namespace sluice::service
