// The registry: checks node types and connection providers as they are added, and keeps them by
// name with where each came from.

#include "registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace sluice::detail {

namespace {

// `plugin.action`: lowercase words of [a-z0-9_] joined by single dots, at least two words.
bool is_valid_type_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.')
    return false;
  bool has_dot = false;
  char previous = 0;
  for (char c : name) {
    if (c == '.') {
      if (previous == '.')
        return false;
      has_dot = true;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
    previous = c;
  }
  return has_dot;
}

constexpr std::string_view node_type_kind = "node type";
constexpr std::string_view provider_kind = "connection provider";
constexpr std::string_view settings_check_kind = "settings check for node type";
constexpr std::string_view side_effects_rule_kind = "side-effects rule for node type";
constexpr std::string_view reach_kind = "reach declaration for node type";
constexpr std::string_view reconciles_kind = "reconciliation declaration for node type";

std::size_t setting_index(const NodeSpec& spec, std::string_view name) {
  for (std::size_t i = 0; i < spec.settings.size(); ++i)
    if (spec.settings[i].name == name)
      return i;
  return spec.settings.size();
}

} // namespace

void Registry::add(NodeType type) {
  add(std::move(type), "built in");
}

void Registry::check(const NodeType& type) const {
  const std::string& name = type.spec.type;
  if (!is_valid_type_name(name))
    throw std::invalid_argument("invalid node type name '" + name +
                                "': use lowercase 'plugin.action' (letters, digits, '_')");
  if (static_cast<bool>(type.run_sync) == static_cast<bool>(type.run_async))
    throw std::invalid_argument("node type '" + name +
                                "' must have exactly one of run_sync and run_async");
  for (const SettingSpec& setting : type.spec.settings)
    if (!setting.default_value.is_null() && !accepts(setting.type, setting.default_value))
      throw std::invalid_argument("node type '" + name + "': default of setting '" + setting.name +
                                  "' is not a " + std::string(to_string(setting.type)));
  std::lock_guard lock(mutex_);
  types_.require_free(node_type_kind, name);
}

void Registry::add(NodeType type, std::string origin) {
  check(type);
  std::string name = type.spec.type;
  auto shared = std::make_shared<const NodeType>(std::move(type));
  std::lock_guard lock(mutex_);
  // check() released the lock; a concurrent add of the same name is still refused here.
  types_.insert(node_type_kind, std::move(name), std::move(shared), std::move(origin));
}

std::string Registry::origin_of(std::string_view name) const {
  std::lock_guard lock(mutex_);
  return types_.origin_of(name);
}

std::shared_ptr<const NodeType> Registry::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  return types_.find(name);
}

std::vector<std::shared_ptr<const NodeType>> Registry::all() const {
  std::lock_guard lock(mutex_);
  return types_.items();
}

std::vector<std::string> Registry::names() const {
  std::lock_guard lock(mutex_);
  return types_.names();
}

void Registry::add_provider(ConnectionProvider provider) {
  add_provider(std::move(provider), "built in");
}

void Registry::check_provider(const ConnectionProvider& provider) const {
  const std::string& name = provider.name;
  // The name is a CLI word (`sluice connect NAME`) and stored with every connection.
  const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (!valid)
    throw std::invalid_argument("invalid connection provider name '" + name +
                                "': use lowercase letters, digits, '_' and '-'");
  if (!provider.connect)
    throw std::invalid_argument("connection provider '" + name + "' has no connect function");
  std::lock_guard lock(mutex_);
  providers_.require_free(provider_kind, name);
}

void Registry::add_provider(ConnectionProvider provider, std::string origin) {
  check_provider(provider);
  std::string name = provider.name;
  auto shared = std::make_shared<const ConnectionProvider>(std::move(provider));
  std::lock_guard lock(mutex_);
  providers_.insert(provider_kind, std::move(name), std::move(shared), std::move(origin));
}

std::shared_ptr<const ConnectionProvider> Registry::find_provider(std::string_view name) const {
  std::lock_guard lock(mutex_);
  return providers_.find(name);
}

std::vector<std::shared_ptr<const ConnectionProvider>> Registry::providers() const {
  std::lock_guard lock(mutex_);
  return providers_.items();
}

void Registry::add_settings_check(std::string_view type, SettingsCheck check) {
  add_settings_check(type, std::move(check), "built in");
}

void Registry::check_settings_check(std::string_view type, const SettingsCheck& check,
                                    bool known_type) const {
  if (!check)
    throw std::invalid_argument("the settings check of node type '" + std::string(type) +
                                "' has no function");
  std::lock_guard lock(mutex_);
  if (!known_type && !types_.find(type))
    throw std::invalid_argument("settings check for unknown node type '" + std::string(type) +
                                "': register the type first");
  settings_checks_.require_free(settings_check_kind, std::string(type));
}

void Registry::add_settings_check(std::string_view type, SettingsCheck check, std::string origin) {
  check_settings_check(type, check, false);
  auto shared = std::make_shared<const SettingsCheck>(std::move(check));
  std::lock_guard lock(mutex_);
  settings_checks_.insert(settings_check_kind, std::string(type), std::move(shared),
                          std::move(origin));
}

std::shared_ptr<const SettingsCheck> Registry::find_settings_check(std::string_view type) const {
  std::lock_guard lock(mutex_);
  return settings_checks_.find(type);
}

void Registry::add_side_effects_rule(std::string_view type, SideEffectsRule rule) {
  add_side_effects_rule(type, std::move(rule), "built in");
}

void Registry::check_side_effects_rule(const NodeSpec& spec, const SideEffectsRule& rule) const {
  const std::string what = "the side-effects rule of node type '" + spec.type + "'";
  if (!spec.side_effects)
    throw std::invalid_argument(what + ": the type declares no side effects for it to take away");
  if (setting_index(spec, rule.setting) == spec.settings.size())
    throw std::invalid_argument(what + " names setting '" + rule.setting +
                                "', which the type does not have");
  if (rule.none_when.empty())
    throw std::invalid_argument(what + " lists no value of '" + rule.setting + "'");
  std::lock_guard lock(mutex_);
  side_effects_rules_.require_free(side_effects_rule_kind, spec.type);
}

void Registry::add_side_effects_rule(std::string_view type, SideEffectsRule rule,
                                     std::string origin) {
  const std::shared_ptr<const NodeType> node_type = find(type);
  if (!node_type)
    throw std::invalid_argument("side-effects rule for unknown node type '" + std::string(type) +
                                "': register the type first");
  check_side_effects_rule(node_type->spec, rule);
  auto shared = std::make_shared<const SideEffectsRule>(std::move(rule));
  std::lock_guard lock(mutex_);
  side_effects_rules_.insert(side_effects_rule_kind, std::string(type), std::move(shared),
                             std::move(origin));
}

std::shared_ptr<const SideEffectsRule>
Registry::find_side_effects_rule(std::string_view type) const {
  std::lock_guard lock(mutex_);
  return side_effects_rules_.find(type);
}

void Registry::declare_reach(std::string_view type, Reach reach) {
  declare_reach(type, reach, "built in");
}

void Registry::check_reach(std::string_view type) const {
  std::lock_guard lock(mutex_);
  reaches_.require_free(reach_kind, std::string(type));
}

void Registry::declare_reach(std::string_view type, Reach reach, std::string origin) {
  if (!find(type))
    throw std::invalid_argument("reach declaration for unknown node type '" + std::string(type) +
                                "': register the type first");
  check_reach(type);
  std::lock_guard lock(mutex_);
  reaches_.insert(reach_kind, std::string(type), std::make_shared<const Reach>(reach),
                  std::move(origin));
}

Reach Registry::find_reach(std::string_view type) const {
  std::lock_guard lock(mutex_);
  const std::shared_ptr<const Reach> reach = reaches_.find(type);
  return reach ? *reach : Reach::unknown;
}

void Registry::declare_reconciles(std::string_view type) {
  declare_reconciles(type, "built in");
}

void Registry::check_reconciles(const NodeSpec& spec) const {
  if (spec.idempotent)
    throw std::invalid_argument("node type '" + spec.type +
                                "' is idempotent: it runs again anyway, there is nothing to "
                                "reconcile (declare_reconciles is for types that are not)");
  std::lock_guard lock(mutex_);
  reconciling_.require_free(reconciles_kind, spec.type);
}

void Registry::declare_reconciles(std::string_view type, std::string origin) {
  const auto declared = find(type);
  if (!declared)
    throw std::invalid_argument("reconciliation declaration for unknown node type '" +
                                std::string(type) + "': register the type first");
  check_reconciles(declared->spec);
  std::lock_guard lock(mutex_);
  reconciling_.insert(reconciles_kind, std::string(type), std::make_shared<const bool>(true),
                      std::move(origin));
}

bool Registry::reconciles(std::string_view type) const {
  std::lock_guard lock(mutex_);
  return reconciling_.find(type) != nullptr;
}

} // namespace sluice::detail
