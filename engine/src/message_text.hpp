#pragma once
// How values read inside the compiler's messages, shared by its steps.

#include <sluice/value.hpp>

#include <string>
#include <string_view>

namespace sluice::detail {

/// A value as a message shows it: strings as written, anything else as JSON.
inline std::string shown(const Value& value) {
  return value.is_string() ? std::string(value.as_string()) : value.to_json();
}

/// `text` in single quotes. Built by appending: GCC 12 at -O3 reports a false -Wrestrict
/// (an overlapping copy) inside "'" + std::string(...), and the build treats warnings as errors.
inline std::string single_quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

} // namespace sluice::detail
