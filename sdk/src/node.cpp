// Small helpers for node declarations; see node.hpp.

#include <sluice/node.hpp>
#include <sluice/provider.hpp>

#include <stdexcept>
#include <string>

namespace sluice {

// Defined out of line so that the vtables (and typeinfo) live in the SDK library only.
Context::~Context() = default;
Registrar::~Registrar() = default;
ProviderContext::~ProviderContext() = default;

// A host older than SDK 1.6, or one that offers no HTTP (a test's own Context), says so.
HttpClient& Context::http() {
  throw std::logic_error("this host offers no HTTP client (it predates SDK 1.6)");
}

boost::asio::any_io_executor Context::blocking_executor() {
  throw std::logic_error("this host offers no blocking pool (it predates SDK 1.6)");
}

HttpClient& ProviderContext::http() {
  throw std::logic_error("this host offers no HTTP client (it predates SDK 1.6)");
}

boost::asio::any_io_executor ProviderContext::executor() {
  throw std::logic_error("this host offers no executor (it predates SDK 1.6)");
}

std::optional<std::chrono::system_clock::time_point> Context::earlier_attempt_started() const {
  return std::nullopt;
}

boost::asio::any_io_executor ProviderContext::blocking_executor() {
  throw std::logic_error("this host offers no blocking pool (it predates SDK 1.6)");
}

void Registrar::add_provider(ConnectionProvider provider) {
  throw std::logic_error("this host does not take connection providers (provider '" +
                         provider.name + "')");
}

void Registrar::add_settings_check(std::string_view type, SettingsCheck /*check*/) {
  throw std::logic_error("this host does not take settings checks (node type '" +
                         std::string(type) + "')");
}

void Registrar::add_side_effects_rule(std::string_view type, SideEffectsRule /*rule*/) {
  throw std::logic_error("this host does not take side-effects rules (node type '" +
                         std::string(type) + "')");
}

void Registrar::declare_reach(std::string_view type, Reach /*reach*/) {
  throw std::logic_error("this host does not take reach declarations (node type '" +
                         std::string(type) + "')");
}

void Registrar::declare_reconciles(std::string_view type) {
  throw std::logic_error("this host does not take reconciliation declarations (node type '" +
                         std::string(type) + "')");
}

std::string_view to_string(SettingType type) noexcept {
  switch (type) {
  case SettingType::any:
    return "any";
  case SettingType::string:
    return "string";
  case SettingType::integer:
    return "integer";
  case SettingType::number:
    return "number";
  case SettingType::boolean:
    return "boolean";
  case SettingType::array:
    return "array";
  case SettingType::object:
    return "object";
  }
  return "any";
}

bool accepts(SettingType type, const Value& value) noexcept {
  switch (type) {
  case SettingType::any:
    return true;
  case SettingType::string:
    return value.is_string();
  case SettingType::integer:
    return value.is_int();
  case SettingType::number:
    return value.is_number(); // integers are numbers too
  case SettingType::boolean:
    return value.is_bool();
  case SettingType::array:
    return value.is_array();
  case SettingType::object:
    return value.is_object();
  }
  return false;
}

const SettingSpec* NodeSpec::find_setting(std::string_view name) const noexcept {
  for (const SettingSpec& s : settings)
    if (s.name == name)
      return &s;
  return nullptr;
}

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
  case LogLevel::debug:
    return "debug";
  case LogLevel::info:
    return "info";
  case LogLevel::warning:
    return "warning";
  case LogLevel::error:
    return "error";
  }
  return "info";
}

} // namespace sluice
