// Names of run enums, and small RunResult helpers.

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
    if (node.status == NodeStatus::succeeded || node.status == NodeStatus::failed)
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

RunObserver::~RunObserver() = default;

} // namespace sluice
