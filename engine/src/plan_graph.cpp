// The plan's graph: edges laid out in one array, and the cycles that make a pipeline invalid.
// Iterative throughout: a 100,000-node chain must not become stack depth.

#include "plan_graph.hpp"

#include <algorithm>
#include <limits>
#include <span>
#include <unordered_map>

namespace sluice::detail {

namespace {

constexpr std::uint32_t no_node = std::numeric_limits<std::uint32_t>::max();

// The shortest cycle through `first` inside its component, found breadth-first.
std::vector<std::uint32_t> cycle_through(const Plan& plan, std::uint32_t first,
                                         const std::vector<std::uint32_t>& component) {
  std::unordered_map<std::uint32_t, std::uint32_t> parent;
  std::vector<std::uint32_t> queue{first};
  std::uint32_t last = no_node;
  for (std::size_t head = 0; head < queue.size() && last == no_node; ++head) {
    const std::uint32_t v = queue[head];
    for (std::uint32_t w : plan.successors(v)) {
      if (component[w] != component[first])
        continue;
      if (w == first) {
        last = v;
        break;
      }
      if (parent.emplace(w, v).second)
        queue.push_back(w);
    }
  }
  std::vector<std::uint32_t> path;
  for (std::uint32_t v = last; v != first; v = parent.at(v))
    path.push_back(v);
  path.push_back(first);
  std::reverse(path.begin(), path.end());
  return path;
}

} // namespace

// Lays the edges out as one array: every node's dependencies, then every node's
// successors (in increasing order, as the per-node vectors had them).
void link_edges(Plan& plan, std::vector<std::uint32_t> dependencies) {
  std::vector<PlanNode>& nodes = plan.nodes;
  const auto count = static_cast<std::uint32_t>(nodes.size());
  std::vector<std::uint32_t>& edges = plan.edges;
  edges = std::move(dependencies);
  const auto dependency_edges = static_cast<std::uint32_t>(edges.size());
  std::vector<std::uint32_t> successor_count(count, 0);
  plan.dependency_counts.resize(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    plan.dependency_counts[i] = nodes[i].dependency_count;
    if (nodes[i].dependency_count == 0)
      plan.roots.push_back(i);
    for (std::uint32_t dependency : plan.dependencies(i))
      ++successor_count[dependency];
  }
  std::uint32_t next = dependency_edges;
  for (std::uint32_t i = 0; i < count; ++i) {
    nodes[i].successors_begin = next;
    next += successor_count[i];
  }
  edges.resize(next);
  for (std::uint32_t i = 0; i < count; ++i)
    for (std::uint32_t at = nodes[i].dependencies_begin,
                       end = nodes[i].dependencies_begin + nodes[i].dependency_count;
         at < end; ++at) {
      PlanNode& dependency = nodes[edges[at]];
      edges[dependency.successors_begin + dependency.successor_count++] = i;
    }
}

namespace {

// Kahn's walk: the graph is acyclic when every node can be taken once all its dependencies
// are. Several times cheaper than the component search below, which only a graph with a cycle
// needs.
bool is_acyclic(const Plan& plan) {
  const auto count = static_cast<std::uint32_t>(plan.nodes.size());
  std::vector<std::uint32_t> waiting(count);
  std::vector<std::uint32_t> ready;
  ready.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    waiting[i] = plan.nodes[i].dependency_count;
    if (waiting[i] == 0)
      ready.push_back(i);
  }
  for (std::size_t taken = 0; taken < ready.size(); ++taken)
    for (std::uint32_t successor : plan.successors(ready[taken]))
      if (--waiting[successor] == 0)
        ready.push_back(successor);
  return ready.size() == count;
}

} // namespace

// Tarjan's strongly connected components, iteratively (a 100,000-node chain would overflow
// a recursive walk). Each component with more than one node holds at least one cycle;
// one cycle per component is reported, starting at its first node in declaration order.
std::vector<std::vector<std::uint32_t>> find_cycles(const Plan& plan) {
  const std::vector<PlanNode>& nodes = plan.nodes;
  const std::uint32_t count = static_cast<std::uint32_t>(nodes.size());
  if (is_acyclic(plan))
    return {};
  constexpr std::uint32_t unvisited = no_node;
  std::vector<std::uint32_t> order(count, unvisited), low(count, 0), component(count, no_node);
  std::vector<bool> on_stack(count, false);
  std::vector<std::uint32_t> stack;
  struct Frame {
    std::uint32_t node;
    std::size_t next_edge;
  };
  std::vector<Frame> frames;
  std::uint32_t counter = 0;
  std::uint32_t components = 0;
  std::vector<std::uint32_t> cyclic_components_first; // first node of each cyclic component

  const auto enter = [&](std::uint32_t v) {
    order[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack[v] = true;
    frames.push_back(Frame{v, 0});
  };
  for (std::uint32_t start = 0; start < count; ++start) {
    if (order[start] != unvisited)
      continue;
    enter(start);
    while (!frames.empty()) {
      const std::uint32_t v = frames.back().node;
      const std::span<const std::uint32_t> successors = plan.successors(v);
      if (frames.back().next_edge < successors.size()) {
        const std::uint32_t w = successors[frames.back().next_edge++];
        if (order[w] == unvisited)
          enter(w);
        else if (on_stack[w])
          low[v] = std::min(low[v], order[w]);
        continue;
      }
      if (low[v] == order[v]) {
        std::uint32_t first = v;
        std::uint32_t size = 0;
        std::uint32_t w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = components;
          first = std::min(first, w);
          ++size;
        } while (w != v);
        if (size > 1)
          cyclic_components_first.push_back(first);
        ++components;
      }
      frames.pop_back();
      if (!frames.empty())
        low[frames.back().node] = std::min(low[frames.back().node], low[v]);
    }
  }
  std::vector<std::vector<std::uint32_t>> cycles;
  for (std::uint32_t first : cyclic_components_first)
    cycles.push_back(cycle_through(plan, first, component));
  return cycles;
}

} // namespace sluice::detail
