#pragma once
/// @file
/// What a run reports: its result, per-node results, and the events observers receive.

#include <sluice/error.hpp>
#include <sluice/export.hpp>
#include <sluice/http.hpp>
#include <sluice/node.hpp>
#include <sluice/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class HttpInterceptor;
class CredentialStore;

namespace detail {
struct RunResultAccess;
}

using Clock = std::chrono::steady_clock;

enum class RunStatus { succeeded, failed, cancelled };
/// `planned`: in a dry run (RunOptions::dry_run), a node that a real run would run but this
/// one did not, or stopped before it sent a request that could change something; its message
/// says which.
enum class NodeStatus { pending, running, succeeded, failed, skipped, cancelled, planned };

SLUICE_API std::string_view to_string(RunStatus status) noexcept;
SLUICE_API std::string_view to_string(NodeStatus status) noexcept;

/// The outcome of one node in one run.
struct NodeResult {
  // User-provided on purpose: with `= default`, value-initialising one (as std::vector does)
  // zeroes the whole struct before running the member initialisers, a `rep stos` per node
  // per run that showed in profiles of small runs.
  NodeResult() noexcept {}
  explicit NodeResult(std::string_view node_id) noexcept : id(node_id) {}

  /// The node's id (points into the plan, which the result keeps alive).
  std::string_view id;
  NodeStatus status = NodeStatus::pending;
  /// Attempts made (the largest over the elements of a for_each node).
  std::uint32_t attempts = 0;
  Clock::time_point started{};
  Clock::time_point finished{};
  /// The node's output (a list of outputs for for_each nodes); null unless it succeeded.
  Value output;
  /// Why it failed, was skipped or was cancelled; empty when it succeeded.
  std::string message;
  /// The failure's category (meaningful when status is failed).
  ErrorCategory category = ErrorCategory::internal;
  /// True when the node failed but had `on_error: continue`, so the run went on.
  bool tolerated = false;
  /// True when a mock (RunOptions::mocks) stood in for the node: it was not run.
  bool mocked = false;
};

/// A request a dry run held back instead of sending, redacted as an interceptor sees it
/// (sluice/http_interceptor.hpp).
struct PlannedRequest {
  /// The node that would have sent it.
  std::string node;
  /// Under `for_each`: the element's index; -1 otherwise.
  std::int64_t index = -1;
  HttpRequest request;
};

/// The outcome of a run.
struct SLUICE_API RunResult {
  RunResult() = default;
  RunResult(const RunResult&) = default;
  RunResult(RunResult&&) noexcept = default;
  RunResult& operator=(const RunResult&) = default;
  RunResult& operator=(RunResult&& other) noexcept;
  /// Hands the block that held `nodes` back to the pipeline, for its next run: a large
  /// pipeline's runs then reuse memory instead of faulting in fresh pages.
  ~RunResult();

  RunStatus status = RunStatus::succeeded;
  /// The evaluated `outputs:` of the pipeline (an object; empty unless it succeeded).
  Value outputs;
  /// One per node, in declaration order.
  std::vector<NodeResult> nodes;
  /// The first failure that failed the run, as `node 'id' failed: message`; empty otherwise.
  std::string error;
  /// Id of the node whose failure failed the run, if any.
  std::string failed_node;
  /// Dry runs: the requests held back, in the order the nodes tried to send them.
  std::vector<PlannedRequest> planned;
  /// Dry runs: the pipeline outputs that depend on a planned node, so only a real run knows
  /// them (they are not in `outputs`).
  std::vector<std::string> unknown_outputs;
  Clock::time_point started{};
  Clock::time_point finished{};

  bool ok() const noexcept { return status == RunStatus::succeeded; }
  /// The result of node `id`, or nullptr.
  const NodeResult* node(std::string_view id) const noexcept;

private:
  friend struct detail::RunResultAccess;
  void give_back_nodes() noexcept;
  // Keeps the compiled plan alive: every NodeResult::id points into it.
  std::shared_ptr<const void> plan_;
};

/// Each node's result as JSON, in declaration order: `id`, `status`, `attempts`, and when they
/// apply `duration_ms` (succeeded or failed), `message`, `category` (failed). What
/// `sluice run --json` prints and the run store keeps; never a node's output.
SLUICE_API Value node_results_json(const RunResult& result);

enum class EventKind {
  run_started,
  run_finished,
  node_started,
  node_succeeded,
  node_failed,
  node_retrying,
  node_skipped,
  node_cancelled,
  log,
  /// A dry run did not run the node, or held back what it would send (NodeStatus::planned).
  node_planned,
};
SLUICE_API std::string_view to_string(EventKind kind) noexcept;

/// Something that happened during a run. The string views are valid during the callback.
struct Event {
  EventKind kind = EventKind::log;
  Clock::time_point time{};
  /// Empty for run events.
  std::string_view node_id{};
  /// For for_each nodes: the element's index; -1 otherwise.
  std::int64_t item_index = -1;
  std::uint32_t attempt = 0;
  /// Failure, skip or cancel reason, retry delay explanation, or the log text.
  std::string_view message{};
  LogLevel level = LogLevel::info;
  ErrorCategory category = ErrorCategory::internal;
  /// For node_retrying: how long until the next attempt.
  std::chrono::milliseconds delay{0};
  /// For run_finished.
  RunStatus run_status = RunStatus::succeeded;
  /// For node_succeeded: the node's output (of the element, for a `for_each` element's
  /// event; the list of them for the node's own); null for other events. Valid during the
  /// callback.
  const Value* output = nullptr;
};

/// Receives a run's events. Called from the engine's worker threads, possibly concurrently:
/// implementations must be thread-safe and quick (do not block).
class SLUICE_API RunObserver {
public:
  virtual ~RunObserver();
  virtual void on_event(const Event& event) = 0;
};

/// A node that may have run in an earlier try of the same run (`RunOptions::repeated`).
struct RepeatedNode {
  std::string node;
  /// When its attempt in that earlier try started, if that was recorded.
  std::optional<std::chrono::system_clock::time_point> started_at;
};

/// Stands in for one node of a run, as pipeline tests use it: the node is not run, and what
/// depends on it sees `output` (for a `for_each` node, the whole list), or the node fails
/// with `error`. Its `if:` and its dependencies still decide whether it is reached at all.
struct NodeMock {
  struct Failure {
    ErrorCategory category = ErrorCategory::permanent;
    std::string message;
  };
  std::string node;
  Value output;
  /// When set, the node fails with this instead of producing `output`.
  std::optional<Failure> error;
};

/// Whether a run is real or a dry run, which changes nothing outside the run and shows what a
/// real run would do (`sluice run --dry-run`).
enum class DryRun {
  off,
  /// Reads run and are sent; a node with side effects runs only if its type reaches out
  /// through `Context::http()` alone (Reach::http_only), and every request that could change
  /// something (a method other than GET, HEAD and OPTIONS) is held back: the node stops there
  /// as `planned`, and the request is reported (RunResult::planned). Token requests of the
  /// credential layer are let through.
  reads,
  /// Nothing is sent: every request is held back, and a node whose type does not declare its
  /// reach is not run.
  offline,
};
SLUICE_API std::string_view to_string(DryRun mode) noexcept;

/// How to run a pipeline.
struct RunOptions {
  /// Pipeline inputs: an object keyed by input name (missing ones take their defaults).
  Value inputs;
  /// Observers of this run's events.
  std::vector<std::shared_ptr<RunObserver>> observers;
  /// Requesting a stop cancels the run: running nodes are cancelled, pending ones are not
  /// started, and the result's status is `cancelled`.
  std::stop_token stop;
  /// How long cancelled nodes get to stop before the run stops waiting for them.
  std::chrono::milliseconds cancel_grace{2000};
  /// Sees (and may answer or refuse) every HTTP request the run's nodes make through
  /// `Context::http()`; see sluice/http_interceptor.hpp. Null: requests go straight out.
  std::shared_ptr<HttpInterceptor> http_interceptor;
  /// Nodes replaced for this run (at most one mock per node). A mock of a node the pipeline
  /// does not have is refused with std::invalid_argument before the run starts.
  std::vector<NodeMock> mocks;
  /// Nodes that may have run before, in an earlier try of this same run (a run resumed after
  /// the process running it died): their first attempt counts as a repeat
  /// (`Context::attempt()` is 2), so a node can take what it finds (a meeting deleted
  /// already) as its own earlier effect, and `Context::earlier_attempt_started()` says
  /// since when to look. Names the pipeline does not have are passed over.
  std::vector<RepeatedNode> repeated;
  /// The connection store this run's nodes use (`Context::credentials()`) instead of the
  /// engine's: a recorder watching it (sluice/cassette.hpp), or connections simulated for a
  /// replay. Null: the engine's.
  std::shared_ptr<CredentialStore> credentials;
  /// Whether each NodeResult gets its `started` and `finished` times. Off unless asked for:
  /// most callers never read them, and taking a node's time costs about 10 ns on x86-64 (the
  /// time-stamp counter), a tenth of a ten-node run of small nodes. Without them they are
  /// left at `Clock::time_point{}`; the run's own `started` and `finished` are always set.
  /// Runs with observers get them either way, as their events carry the same times.
  bool node_times = false;
  /// A dry run: nothing outside the run changes (see DryRun). Nodes that depend on a planned
  /// node's output are planned too, as only a real run knows what they would see.
  DryRun dry_run = DryRun::off;
  /// Engine::async_run: a small run whose nodes never wait (as Engine::run would run on its
  /// caller's thread) runs on the awaiting coroutine's thread, before async_run's completion
  /// is posted, instead of being handed to an engine thread and back: two thread wake-ups
  /// fewer. Off by default, so that an embedder's event loop never runs nodes unless it asks;
  /// `sluice serve` asks, as its threads exist to run what it accepts.
  bool run_small_here = false;
};

} // namespace sluice
