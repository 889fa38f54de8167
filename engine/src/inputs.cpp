// Owns input resolution (resolve_inputs in executor.hpp): a run's given inputs checked against
// the plan's declarations, with defaults filled in.

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

} // namespace sluice::detail
