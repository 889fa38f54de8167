// The oneTBB side of sluice_bench (bench_tbb.hpp): the same graphs as continue_nodes doing
// the same Value work.

#include "bench_tbb.hpp"

namespace bench {

TbbGraph::TbbGraph(const Shape& shape, std::vector<sluice::Value>& results) : start_(graph_) {
  nodes_.reserve(shape.size());
  for (std::uint32_t i = 0; i < shape.size(); ++i) {
    nodes_.push_back(
        std::make_unique<Node>(graph_, [&shape, &results, i](const tbb::flow::continue_msg&) {
          std::int64_t acc = 1;
          for (std::uint32_t p : shape.preds_of(i))
            acc = add_step(static_cast<std::uint64_t>(acc), results[p]["value"].as_int());
          results[i] = sluice::Value::object({{"value", acc}});
          return tbb::flow::continue_msg();
        }));
    const auto preds = shape.preds_of(i);
    if (preds.empty())
      tbb::flow::make_edge(start_, *nodes_[i]);
    for (std::uint32_t p : preds)
      tbb::flow::make_edge(*nodes_[p], *nodes_[i]);
  }
}

TbbGraph::~TbbGraph() {
  graph_.wait_for_all();
}

void TbbGraph::run() {
  start_.try_put(tbb::flow::continue_msg());
  graph_.wait_for_all();
}

std::string check_values(const std::vector<sluice::Value>& results,
                         const std::vector<std::int64_t>& expected) {
  if (results.size() != expected.size())
    return "expected " + std::to_string(expected.size()) + " results, got " +
           std::to_string(results.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const sluice::Value* v = results[i].find("value");
    if (!v || !v->is_int() || v->as_int() != expected[i])
      return "node " + std::to_string(i) + ": expected " + std::to_string(expected[i]) + ", got " +
             results[i].to_json();
  }
  return {};
}

} // namespace bench
