// Owns what a run is given, checked against the plan before it starts (executor.hpp): its
// inputs (declarations, types, defaults filled in) and its mocks (check_mocks).

#include "executor.hpp"

#include <algorithm>
#include <string>

namespace sluice::detail {

Value resolve_inputs(const Plan& plan, const Value& given) {
  if (plan.inputs.empty() && given.is_null())
    return empty_object();
  if (!given.is_null() && !given.is_object())
    throw InputError("inputs must be an object of name: value");
  if (given.is_object()) {
    for (const auto& [name, value] : given.as_object()) {
      const bool declared =
          std::any_of(plan.inputs.begin(), plan.inputs.end(),
                      [&name = name](const InputInfo& i) { return i.name == name; });
      if (!declared) {
        std::string known;
        for (const InputInfo& i : plan.inputs)
          known += (known.empty() ? "" : ", ") + i.name;
        throw InputError(
            "unknown input '" + name + "'" +
            (known.empty() ? "; this pipeline has no inputs" : "; declared inputs: " + known));
      }
    }
  }
  Object resolved;
  resolved.reserve(plan.inputs.size());
  for (const InputInfo& input : plan.inputs) {
    const Value* value = given.find(input.name);
    if (!value || value->is_null()) {
      if (input.default_value) {
        resolved.emplace_back(input.name, *input.default_value);
        continue;
      }
      if (input.required)
        throw InputError("missing required input '" + input.name + "' (" +
                         std::string(to_string(input.type)) + ")");
      resolved.emplace_back(input.name, Value());
      continue;
    }
    if (!accepts(input.type, *value))
      throw InputError("input '" + input.name + "' expects " + std::string(to_string(input.type)) +
                       ", got " + std::string(to_string(value->type())));
    resolved.emplace_back(input.name, *value);
  }
  return Value(std::move(resolved));
}

void check_mocks(const Plan& plan, const std::vector<NodeMock>& mocks) {
  for (std::size_t i = 0; i < mocks.size(); ++i) {
    const std::string& id = mocks[i].node;
    const bool known = std::any_of(plan.nodes.begin(), plan.nodes.end(),
                                   [&id](const PlanNode& node) { return node.id == id; });
    if (!known)
      throw std::invalid_argument("a mock names node '" + id +
                                  "', which the pipeline does not have");
    for (std::size_t j = 0; j < i; ++j)
      if (mocks[j].node == id)
        throw std::invalid_argument("node '" + id + "' has more than one mock");
  }
}

} // namespace sluice::detail
