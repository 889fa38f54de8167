#pragma once
// How values read inside the compiler's messages, shared by its steps.

#include <sluice/value.hpp>

#include <string>

namespace sluice::detail {

/// A value as a message shows it: strings as written, anything else as JSON.
inline std::string shown(const Value& value) {
  return value.is_string() ? std::string(value.as_string()) : value.to_json();
}

} // namespace sluice::detail
