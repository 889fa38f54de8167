#pragma once
// The oneTBB side of sluice_bench: one `continue_node` per node, an edge per dependency, and
// the same work as bench.add: read the predecessors' `sluice::Value`s from a preallocated
// vector, write `{value: 1 + sum}`.

#include "bench_support.hpp"

#include <sluice/value.hpp>

#include <oneapi/tbb/flow_graph.h>

#include <memory>
#include <string>
#include <vector>

namespace bench {

class TbbGraph {
public:
  /// Builds nodes and edges. Construct (and run, and destroy) inside the task_arena that
  /// should run it: a flow graph attaches to the arena current at its construction.
  /// `results` must hold shape.size() values and outlive the graph.
  TbbGraph(const Shape& shape, std::vector<sluice::Value>& results);
  ~TbbGraph();
  TbbGraph(const TbbGraph&) = delete;
  TbbGraph& operator=(const TbbGraph&) = delete;

  /// One run, blocking: every node once.
  void run();

private:
  using Node = tbb::flow::continue_node<tbb::flow::continue_msg>;
  tbb::flow::graph graph_;
  // The single entry point, so that shapes with many roots start with one try_put.
  tbb::flow::broadcast_node<tbb::flow::continue_msg> start_;
  // Declared after graph_: nodes must be destroyed before their graph.
  std::vector<std::unique_ptr<Node>> nodes_;
};

/// Empty when `results` holds the expected values; otherwise what differs.
std::string check_values(const std::vector<sluice::Value>& results,
                         const std::vector<std::int64_t>& expected);

} // namespace bench
