#pragma once
// The compiled, immutable form of a pipeline that the executor runs.

#include "run_memory.hpp"
#include "template.hpp"

#include <sluice/engine.hpp>
#include <sluice/node.hpp>
#include <sluice/triggers.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::detail {

struct RetryPolicy {
  std::uint32_t attempts = 1; ///< total attempts, >= 1
  std::chrono::milliseconds backoff{250};
  std::chrono::milliseconds max_backoff{30000};
};

enum class OnError : std::uint8_t { fail, proceed };

/// What few nodes use, kept out of line so that a plain node stays small (a plan holds
/// one PlanNode per node; per-node bytes are first-run time, docs/performance.md trap 4).
struct NodeExtras {
  std::string description;
  /// `if:`; nullptr when the node has none.
  std::shared_ptr<Template> condition;
  /// `for_each:`; nullptr when the node has none.
  std::shared_ptr<Template> for_each;
  /// With for_each: most elements in flight; 0 = no limit.
  std::uint32_t concurrency = 0;
  RetryPolicy retry;
  std::optional<std::chrono::milliseconds> timeout;
};

// 56 bytes: a plan holds one per node, and the budget is 512 bytes per node for the
// plan and a run's state together. Variable-size parts live in per-plan arrays (ids, settings,
// edges) instead of a string and vectors per node.
struct PlanNode {
  /// Points into Plan::id_text.
  std::string_view id;
  /// Owned by Plan::types.
  const NodeType* type = nullptr;
  /// Null when every extra has its default.
  std::unique_ptr<NodeExtras> extras;
  /// Range in Plan::setting_slots: see Plan::settings().
  std::uint32_t settings_begin = 0;
  /// Ranges in Plan::edges: see Plan::dependencies() and Plan::successors().
  std::uint32_t dependencies_begin = 0;
  std::uint32_t dependency_count = 0;
  std::uint32_t successors_begin = 0;
  std::uint32_t successor_count = 0;
  /// One per `type->spec.settings`.
  std::uint16_t setting_count = 0;
  OnError on_error = OnError::fail;
  /// True when the node can run inline without a coroutine: a synchronous type, no retry
  /// beyond one attempt, no timeout, no for_each.
  bool inline_fast_path = false;
  /// inline_fast_path without an `if:`: nothing to decide before it runs (RunState::start_node).
  bool plain = false;
  /// Whether running it may change something outside the run (the type's declaration, or
  /// its side-effects rule applied to the node's literal settings).
  bool side_effects = false;

  const NodeExtras& extra() const noexcept {
    static const NodeExtras defaults;
    return extras ? *extras : defaults;
  }
  NodeExtras& edit_extra() {
    if (!extras)
      extras = std::make_unique<NodeExtras>();
    return *extras;
  }
};

struct PlanOutput {
  std::string name;
  ValueTemplate value;
  /// The nodes it refers to (a dry run leaves out an output that depends on a planned node).
  std::vector<std::uint32_t> nodes;
};

struct Plan {
  std::string file;
  std::string name;
  std::string description;
  std::vector<InputInfo> inputs;
  std::vector<PlanNode> nodes;
  /// Every node id, back to back (PlanNode::id views into it).
  std::string id_text;
  /// The distinct node types the nodes use (PlanNode::type points at them).
  std::vector<std::shared_ptr<const NodeType>> types;
  /// Every node's settings, one per `type->spec.settings` in that order, each node's run
  /// contiguous; unset settings hold their default.
  std::vector<ValueTemplate> setting_slots;
  /// The paths of the bound references in the templates above, each stored once.
  PathTable paths;
  /// The lists of bound references held by setting_slots.
  BoundListStore bound_lists;
  std::vector<PlanOutput> outputs;
  /// What `sluice serve` reads: `triggers:`, `concurrency:`, `on_restart:`.
  Triggers triggers;
  RunPolicy run_policy;
  /// Every node can run inline (PlanNode::inline_fast_path): nothing waits.
  bool all_inline = false;
  /// Nodes with no dependencies, in declaration order.
  std::vector<std::uint32_t> roots;
  /// Every node's dependencies, then every node's successors, each node's run contiguous
  /// (one array for the plan instead of two vectors per node).
  std::vector<std::uint32_t> edges;
  /// Each node's dependency_count, side by side: what a run's counters start from, copied
  /// from 4 bytes a node instead of read from every PlanNode.
  std::vector<std::uint32_t> dependency_counts;
  /// Blocks its runs reuse. Not part of what the plan means: runs of a const Plan use it.
  mutable RunMemory memory;

  std::span<const ValueTemplate> settings(std::uint32_t n) const noexcept {
    return settings(nodes[n]);
  }
  std::span<const ValueTemplate> settings(const PlanNode& node) const noexcept {
    return {setting_slots.data() + node.settings_begin, node.setting_count};
  }
  /// Indices of nodes that `n` waits for (data references and `needs:`), no duplicates.
  std::span<const std::uint32_t> dependencies(std::uint32_t n) const noexcept {
    return {edges.data() + nodes[n].dependencies_begin, nodes[n].dependency_count};
  }
  /// Indices of nodes that wait for `n`.
  std::span<const std::uint32_t> successors(std::uint32_t n) const noexcept {
    return successors(nodes[n]);
  }
  std::span<const std::uint32_t> successors(const PlanNode& node) const noexcept {
    return {edges.data() + node.successors_begin, node.successor_count};
  }
};

} // namespace sluice::detail
