// Runs a node type's settings check at load time; see settings_check.hpp.

#include "settings_check.hpp"

#include <sluice/ascii.hpp>

#include <algorithm>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::detail {

void run_settings_check(const SettingsCheck& check, const NodeDecl& decl, const NodeType& type,
                        std::span<const ValueTemplate> slots, const ReportProblem& error) {
  KnownSettings known;
  Object literals;
  for (std::size_t slot = 0; slot < slots.size(); ++slot) {
    const std::string& name = type.spec.settings[slot].name;
    if (!slots[slot].is_constant())
      known.templated.push_back(name);
    else if (!slots[slot].constant().is_null()) // null: not written and no default
      literals.emplace_back(name, slots[slot].constant());
  }
  known.literals = Value(std::move(literals));
  std::vector<SettingProblem> problems;
  try {
    problems = check(known);
  } catch (const std::exception& e) {
    error(decl.mark, "the settings check of " + type.spec.type + " failed on node '" + decl.id +
                         "': " + e.what());
    return;
  }
  for (const SettingProblem& problem : problems) {
    // `settings.audio` is reported where `settings` is written.
    const std::string_view setting =
        std::string_view(problem.setting).substr(0, problem.setting.find_first_of(".["));
    const auto written =
        std::find_if(decl.with.begin(), decl.with.end(),
                     [setting](const SettingDecl& with) { return with.name == setting; });
    error(written == decl.with.end() ? decl.mark : written->mark,
          "setting '" + problem.setting + "' of " + type.spec.type + ": " + problem.message);
  }
}

bool node_has_side_effects(const NodeType& type, const SideEffectsRule* rule,
                           std::span<const ValueTemplate> slots) {
  if (!type.spec.side_effects || rule == nullptr)
    return type.spec.side_effects;
  for (std::size_t slot = 0; slot < slots.size(); ++slot) {
    if (type.spec.settings[slot].name != rule->setting)
      continue;
    if (!slots[slot].is_constant() || !slots[slot].constant().is_string())
      return true; // templated, or not text: it may be anything
    const std::string_view value = slots[slot].constant().as_string();
    return std::none_of(
        rule->none_when.begin(), rule->none_when.end(),
        [value](const std::string& harmless) { return ascii::iequals(harmless, value); });
  }
  return true;
}

} // namespace sluice::detail
