#pragma once
// What both sides of sluice_bench share: the graph shapes, the reference answer, and the
// probes (clock, page faults, heap bytes). Kept free of Sluice and TBB headers so that the
// shapes are defined once, independently of either implementation.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bench {

/// A DAG in topological order: node i's predecessors all have smaller indices. Stored as
/// compressed adjacency (one offsets array, one predecessors array) so that a 1M-node shape
/// costs the benchmark itself little memory next to what it measures.
struct Shape {
  std::string name;
  std::string description;
  std::vector<std::uint32_t> offsets{0}; ///< size() + 1 entries
  std::vector<std::uint32_t> preds;

  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(offsets.size() - 1); }
  std::size_t edges() const noexcept { return preds.size(); }
  std::span<const std::uint32_t> preds_of(std::uint32_t node) const noexcept {
    return {preds.data() + offsets[node], preds.data() + offsets[node + 1]};
  }
  /// Appends a node whose predecessors are `node_preds` (each < the new node's index).
  void add(std::span<const std::uint32_t> node_preds);
};

Shape make_chain(std::uint32_t nodes);
/// 1 -> `width` -> 1.
Shape make_fan(std::uint32_t width);
/// Layers of `layer_width` nodes; every node past the first layer takes 1..`max_preds`
/// distinct predecessors from the two layers before it. Fixed seed: the same DAG every run.
Shape make_layered_dag(std::uint32_t nodes, std::uint32_t layer_width, std::uint32_t max_preds,
                       std::uint64_t seed);
/// 1 -> 4 -> 4 -> 1; middle node b_i waits for a_i and a_(i+1)%4.
Shape make_diamond();

/// What every node computes: 1 + the sum of its predecessors' values. Wraps modulo 2^64
/// (the random DAG's sums grow exponentially and would overflow, which is undefined for
/// signed arithmetic); both implementations use this very function.
inline std::int64_t add_step(std::uint64_t acc, std::int64_t operand) noexcept {
  return static_cast<std::int64_t>(acc + static_cast<std::uint64_t>(operand));
}

/// The expected value of every node, computed sequentially with plain integers: the oracle
/// both implementations are checked against.
std::vector<std::int64_t> reference_values(const Shape& shape);

/// A point in time plus the process's minor page-fault count.
struct Probe {
  std::chrono::steady_clock::time_point time;
  long minor_faults = 0;
};
struct Elapsed {
  double ns = 0;
  long minor_faults = 0;
};
Probe probe() noexcept;
Elapsed since(const Probe& start) noexcept;

/// Bytes currently allocated through malloc, all arenas, including blocks served by mmap
/// (`mallinfo2().uordblks + hblkhd`: large vectors bypass the arenas).
std::size_t heap_in_use() noexcept;

/// The CPU model line of /proc/cpuinfo, the load averages, the compiler.
std::string cpu_model();
std::string load_average();
std::string compiler();

} // namespace bench
