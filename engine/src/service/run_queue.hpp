#pragma once
// The queue many Sluice processes share (a store that can be shared has one: RunStore::queue):
// a worker claims the oldest queued run its pipelines' concurrency allows, holds it by a lease
// its store renews, records each node as it ends (a checkpoint), and writes the ending
// through the RunStore. A run whose holder died goes back to the queue when its lease runs
// out, and the next claim resumes it after its checkpoints.

#include "run_store.hpp"

#include <sluice/error.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::service {

/// How one node of a run ended, as recorded while the run went on; or, for a node with side
/// effects, that it started (written before it runs, so a resume knows it may have acted).
struct Checkpoint {
  enum class Ending { succeeded, failed, skipped, started };
  std::string node;
  Ending ending = Ending::succeeded;
  Value output;                                      ///< succeeded: the node's output
  ErrorCategory category = ErrorCategory::permanent; ///< failed
  std::string message;                               ///< failed: why
};

struct ClaimedRun {
  StoredRun run;
  /// How many holders died with it before this claim (0: a fresh run).
  int resumes = 0;
  /// What those holders recorded, in no set order.
  std::vector<Checkpoint> checkpoints;
};

/// What became of the runs this process holds, as other processes see them.
struct HeldRuns {
  std::vector<std::string> cancel_requested; ///< someone asked to cancel them
  std::vector<std::string> lost;             ///< no longer this process's (its lease ran out)
};

class RunQueue {
public:
  virtual ~RunQueue() = default;

  /// Pipeline name -> how many of its runs may run at once over every process (0: no limit).
  using Limits = std::map<std::string, std::size_t, std::less<>>;

  /// The oldest queued run of a pipeline in `limits` whose limit allows one more, now
  /// running and held by this process; nullopt when there is none.
  virtual std::optional<ClaimedRun> claim(const Limits& limits) = 0;
  /// Returns when runs may have been queued (another process says so) or after `timeout`.
  virtual void wait_for_work(std::chrono::milliseconds timeout) = 0;
  /// Records how a node of a run this process holds ended (or that it started: that never
  /// replaces an ending).
  virtual void checkpoint(std::string_view run_id, const Checkpoint& checkpoint) = 0;
  /// Runs whose holder's lease ran out go back to the queue, to be resumed. Returns how many.
  virtual std::size_t reclaim() = 0;
  /// Of `running` (runs this process runs): those asked to cancel, and those it lost.
  virtual HeldRuns held(const std::vector<std::string>& running) = 0;
  /// Runs of `pipeline` queued or running, over every process.
  virtual std::size_t active(std::string_view pipeline) = 0;
  /// Runs queued and running over every process and pipeline (the /metrics gauges).
  struct Counts {
    std::size_t queued = 0;
    std::size_t running = 0;
  };
  virtual Counts counts() = 0;
  /// Whether this process fires the schedules: one process at a time does. Takes the
  /// leader's place when it is free, keeps it while this process lives, and answers false
  /// once it cannot tell (then another process may take it). Called again and again.
  virtual bool lead_schedules() = 0;
};

} // namespace sluice::service
