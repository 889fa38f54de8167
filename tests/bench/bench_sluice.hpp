#pragma once
// The Sluice side of sluice_bench: a `bench.add` node type registered in-process and a
// PipelineSpec built in code from a Shape (no YAML: the loader is not what is measured).

#include "bench_support.hpp"

#include <sluice/engine.hpp>

#include <memory>
#include <string>
#include <vector>

namespace bench {

/// `bench.add`: setting `values` (array of integers), output `{value: 1 + sum}`.
sluice::NodeType add_node_type();

/// Node i is `n<i>` of type bench.add, its `values` the references `{{ n<p>.value }}` to its
/// predecessors, in order.
sluice::PipelineSpec make_spec(const Shape& shape);

/// An engine with `threads` threads and only bench.add registered.
std::unique_ptr<sluice::Engine> make_engine(unsigned threads);

/// Empty when every node succeeded with the expected value; otherwise what differs.
std::string check_result(const sluice::RunResult& result,
                         const std::vector<std::int64_t>& expected);

} // namespace bench
