// Names of run enums, and small RunResult helpers.

#include "plan.hpp"

#include <sluice/run.hpp>

#include <chrono>

namespace sluice {

Value node_results_json(const RunResult& result) {
  Array nodes;
  nodes.reserve(result.nodes.size());
  for (const NodeResult& node : result.nodes) {
    Object entry{{"id", std::string(node.id)},
                 {"status", std::string(to_string(node.status))},
                 {"attempts", node.attempts}};
    // Only where the run took node times (RunOptions::node_times, or observers).
    const bool timed = node.finished != Clock::time_point{};
    if (timed && (node.status == NodeStatus::succeeded || node.status == NodeStatus::failed))
      entry.emplace_back(
          "duration_ms",
          std::chrono::duration<double, std::milli>(node.finished - node.started).count());
    if (!node.message.empty())
      entry.emplace_back("message", node.message);
    if (node.status == NodeStatus::failed)
      entry.emplace_back("category", std::string(to_string(node.category)));
    nodes.push_back(Value(std::move(entry)));
  }
  return Value(std::move(nodes));
}

std::string_view to_string(RunStatus status) noexcept {
  switch (status) {
  case RunStatus::succeeded:
    return "succeeded";
  case RunStatus::failed:
    return "failed";
  case RunStatus::cancelled:
    return "cancelled";
  }
  return "unknown";
}

std::string_view to_string(NodeStatus status) noexcept {
  switch (status) {
  case NodeStatus::pending:
    return "pending";
  case NodeStatus::running:
    return "running";
  case NodeStatus::succeeded:
    return "succeeded";
  case NodeStatus::failed:
    return "failed";
  case NodeStatus::skipped:
    return "skipped";
  case NodeStatus::cancelled:
    return "cancelled";
  case NodeStatus::planned:
    return "planned";
  }
  return "unknown";
}

std::string_view to_string(DryRun mode) noexcept {
  switch (mode) {
  case DryRun::off:
    return "off";
  case DryRun::reads:
    return "reads";
  case DryRun::offline:
    return "offline";
  }
  return "unknown";
}

std::string_view to_string(EventKind kind) noexcept {
  switch (kind) {
  case EventKind::run_started:
    return "run_started";
  case EventKind::run_finished:
    return "run_finished";
  case EventKind::node_started:
    return "node_started";
  case EventKind::node_succeeded:
    return "node_succeeded";
  case EventKind::node_failed:
    return "node_failed";
  case EventKind::node_retrying:
    return "node_retrying";
  case EventKind::node_skipped:
    return "node_skipped";
  case EventKind::node_cancelled:
    return "node_cancelled";
  case EventKind::node_planned:
    return "node_planned";
  case EventKind::log:
    return "log";
  }
  return "unknown";
}

const NodeResult* RunResult::node(std::string_view id) const noexcept {
  for (const NodeResult& n : nodes)
    if (n.id == id)
      return &n;
  return nullptr;
}

RunResult::~RunResult() {
  give_back_nodes();
}

// The move assignment below names every member: a new one must be added there too.
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(RunResult) == 192, "RunResult changed: update its move assignment");
#endif

RunResult& RunResult::operator=(RunResult&& other) noexcept {
  if (this == &other)
    return *this;
  give_back_nodes();
  // Every member, as the defaulted operator would (keep in step with the declaration).
  status = other.status;
  outputs = std::move(other.outputs);
  nodes = std::move(other.nodes);
  error = std::move(other.error);
  failed_node = std::move(other.failed_node);
  planned = std::move(other.planned);
  unknown_outputs = std::move(other.unknown_outputs);
  started = other.started;
  finished = other.finished;
  plan_ = std::move(other.plan_);
  return *this;
}

void RunResult::give_back_nodes() noexcept {
  if (!plan_ || nodes.capacity() == 0)
    return;
  // Only the engine sets plan_, always to the plan the records belong to.
  const auto& plan = *static_cast<const detail::Plan*>(plan_.get());
  plan.memory.give_records(std::move(nodes), plan);
}

RunObserver::~RunObserver() = default;

} // namespace sluice
