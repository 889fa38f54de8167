// The Sluice side of sluice_bench (bench_sluice.hpp): the bench.add node type and the
// PipelineSpec built from a Shape.

#include "bench_sluice.hpp"

namespace bench {

sluice::NodeType add_node_type() {
  sluice::NodeType t;
  t.spec.type = "bench.add";
  t.spec.description = "1 + the sum of `values` (wrapping), for benchmarks.";
  t.spec.settings = {{"values", sluice::SettingType::array, "integers to add", false,
                      sluice::Value(sluice::Array{})}};
  t.spec.outputs = {{"value", sluice::SettingType::integer, "1 + sum"}};
  t.run_sync = [](sluice::Context& ctx) -> sluice::Value {
    std::int64_t acc = 1;
    for (const sluice::Value& v : ctx.setting("values").as_array())
      acc = add_step(static_cast<std::uint64_t>(acc), v.as_int());
    return sluice::Value::object({{"value", acc}});
  };
  return t;
}

sluice::PipelineSpec make_spec(const Shape& shape) {
  sluice::PipelineSpec spec;
  spec.name = "bench-" + shape.name;
  spec.nodes.reserve(shape.size());
  for (std::uint32_t i = 0; i < shape.size(); ++i) {
    sluice::NodeDecl node;
    // Appended rather than `"n" + to_string(i)`: g++ 12 -O3 warns falsely (-Wrestrict) on
    // operator+(const char*, string&&).
    node.id = "n";
    node.id += std::to_string(i);
    node.type = "bench.add";
    sluice::Array refs;
    refs.reserve(shape.preds_of(i).size());
    for (std::uint32_t p : shape.preds_of(i)) {
      std::string ref = "{{ n";
      ref += std::to_string(p);
      ref += ".value }}";
      refs.emplace_back(std::move(ref));
    }
    node.with.push_back(sluice::SettingDecl{"values", sluice::Value(std::move(refs)), {}});
    spec.nodes.push_back(std::move(node));
  }
  return spec;
}

std::unique_ptr<sluice::Engine> make_engine(unsigned threads) {
  sluice::EngineOptions options;
  options.threads = threads;
  options.core_nodes = false;
  // The fan-out (100,002 nodes) and the 1,000,000-node chain are past the default node limit.
  options.limits.nodes = 2'000'000;
  auto engine = std::make_unique<sluice::Engine>(options);
  engine->registrar().add(add_node_type());
  return engine;
}

std::string check_result(const sluice::RunResult& result,
                         const std::vector<std::int64_t>& expected) {
  if (!result.ok())
    return "run " + std::string(sluice::to_string(result.status)) + ": " + result.error;
  if (result.nodes.size() != expected.size())
    return "expected " + std::to_string(expected.size()) + " node results, got " +
           std::to_string(result.nodes.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const sluice::Value* v = result.nodes[i].output.find("value");
    if (!v || !v->is_int() || v->as_int() != expected[i])
      return "node n" + std::to_string(i) + ": expected " + std::to_string(expected[i]) + ", got " +
             result.nodes[i].output.to_json();
  }
  return {};
}

} // namespace bench
