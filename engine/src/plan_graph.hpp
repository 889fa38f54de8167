#pragma once
// The compiler's graph step: laying out a plan's edges and finding its cycles.

#include "plan.hpp"

#include <cstdint>
#include <vector>

namespace sluice::detail {

/// Fills `plan.edges`, `plan.roots` and each node's successor range from `dependencies`:
/// every node's dependencies (no duplicates), node i's at `nodes[i].dependencies_begin`,
/// `dependency_count` long. Each node's successors follow them, in increasing order.
void link_edges(Plan& plan, std::vector<std::uint32_t> dependencies);

/// One cycle per strongly connected component that has any, each as the node indices along
/// it (the shortest through the component's first node in declaration order, which comes
/// first); empty when the graph is acyclic. Needs the edges of link_edges().
std::vector<std::vector<std::uint32_t>> find_cycles(const Plan& plan);

} // namespace sluice::detail
