#pragma once
// The compiler's graph step: laying out a plan's edges and finding its cycles.

#include "plan.hpp"

#include <cstdint>
#include <vector>

namespace sluice::detail {

/// Fills `plan.edges`, `plan.roots` and each node's edge ranges from `dependencies` (per node,
/// the nodes it waits for, no duplicates): every node's dependencies, then every node's
/// successors (in increasing order).
void link_edges(Plan& plan, const std::vector<std::vector<std::uint32_t>>& dependencies);

/// One cycle per strongly connected component that has any, each as the node indices along
/// it (the shortest through the component's first node in declaration order, which comes
/// first); empty when the graph is acyclic. Needs the edges of link_edges().
std::vector<std::vector<std::uint32_t>> find_cycles(const Plan& plan);

} // namespace sluice::detail
