#pragma once
// Owns the executor's interface to the engine: starting a run of a Plan (make_run,
// run_blocking) and checking what it is given (resolve_inputs, check_mocks).

#include "plan.hpp"

#include <sluice/run.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace sluice::detail {

class CredentialsSource;
class Workers;
class BlockingPool;
class DryRunGuard;

struct RunSetup {
  std::shared_ptr<const Plan> plan;
  /// The resolved inputs object (defaults applied, types checked).
  Value inputs;
  RunOptions options;
  /// The engine's limits; a run checks `for_each_items` and `output_bytes`.
  Limits limits;
  /// Where coroutines run and split-off work is posted (the engine's, which outlive the run).
  Workers* workers = nullptr;
  /// How many threads may drain ready nodes at once (the caller's thread counts as one).
  unsigned threads = 1;
  /// The engine's connection store (outlives the run); null in tests without an engine.
  CredentialsSource* credentials = nullptr;
  /// The engine's HTTP client and blocking pool (outlive the run); null without an engine.
  HttpClient* http = nullptr;
  BlockingPool* blocking = nullptr;
  /// Counts nodes abandoned after cancellation (they may never give their work back to
  /// the pool, so the engine must not wait for it); null in tests without an engine.
  std::atomic<unsigned>* abandoned_nodes = nullptr;
  /// Dry runs only (RunOptions::dry_run): the interceptor that holds requests back (also
  /// options.http_interceptor), and how far each node's type reaches, by plan index.
  std::shared_ptr<DryRunGuard> dry_run;
  std::vector<Reach> reaches;
};

/// Handle to a run in flight; cancel() is thread-safe and idempotent.
class RunControl {
public:
  virtual ~RunControl() = default;
  /// Starts the run. When `drive_here` is true the calling thread drains ready nodes until
  /// it runs out of work (no hand-off for small synchronous plans); otherwise the first
  /// drain is posted to the pool. Call once.
  virtual void begin(bool drive_here) = 0;
  virtual void cancel() = 0;
};

/// Prepares a run; `on_done` is called exactly once, from whichever thread finished it.
std::shared_ptr<RunControl> make_run(RunSetup setup, std::function<void(RunResult)> on_done);

/// Runs to completion, the calling thread draining ready nodes. Lighter than make_run with
/// a promise: no std::function, no future (whose call_once makes a futex syscall per run),
/// no tracking (the caller is inside Engine::run, so the engine cannot be destroyed).
RunResult run_blocking(RunSetup setup);

/// `{}`, shared: runs without inputs or outputs hand this out instead of allocating an empty
/// object per run. Values are immutable and their reference count is atomic.
const Value& empty_object();

/// Checks `given` against the plan's inputs: unknown names, wrong types and missing
/// required inputs throw InputError; defaults are filled in.
Value resolve_inputs(const Plan& plan, const Value& given);

/// Checks a run's mocks: each names a node of the plan, no node twice. Throws
/// std::invalid_argument.
void check_mocks(const Plan& plan, const std::vector<NodeMock>& mocks);

} // namespace sluice::detail
