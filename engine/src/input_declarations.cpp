// Owns the compile step for `inputs:`; see input_declarations.hpp.

#include "input_declarations.hpp"

#include "suggest.hpp"

#include <optional>

namespace sluice::detail {

namespace {

// What an input may declare: every setting type but `any`.
const std::vector<std::string> input_type_names = {"string",  "integer", "number",
                                                   "boolean", "array",   "object"};

std::optional<SettingType> input_type_from_name(std::string_view name) {
  for (const SettingType type : {SettingType::string, SettingType::integer, SettingType::number,
                                 SettingType::boolean, SettingType::array, SettingType::object})
    if (to_string(type) == name)
      return type;
  return std::nullopt;
}

} // namespace

void compile_input_declarations(const std::vector<InputDecl>& declarations,
                                std::vector<InputInfo>& inputs,
                                std::unordered_map<std::string_view, std::uint32_t>& index,
                                const ReportHintedProblem& error) {
  for (std::uint32_t i = 0; i < declarations.size(); ++i) {
    const InputDecl& decl = declarations[i];
    if (!index.emplace(decl.name, i).second) {
      error(decl.mark, "duplicate input '" + decl.name + "'", {});
      continue;
    }
    InputInfo info;
    info.name = decl.name;
    info.required = decl.required;
    info.description = decl.description;
    const std::optional<SettingType> type = input_type_from_name(decl.type);
    if (!type) {
      NearestName nearest(decl.type);
      for (const std::string& name : input_type_names)
        nearest.consider(name);
      error(decl.type_mark, "input '" + decl.name + "' has unknown type '" + decl.type + "'",
            did_you_mean(nearest.best(), "allowed types: " + join_names(input_type_names)));
    } else {
      info.type = *type;
    }
    // An explicit null default means "no default".
    if (decl.default_value && !decl.default_value->is_null()) {
      if (type && !accepts(*type, *decl.default_value))
        error(decl.mark,
              "default of input '" + decl.name + "' must be " + decl.type + ", got " +
                  std::string(to_string(decl.default_value->type())),
              {});
      info.default_value = decl.default_value;
    }
    inputs.push_back(std::move(info));
  }
}

} // namespace sluice::detail
