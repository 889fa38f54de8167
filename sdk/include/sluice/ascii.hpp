#pragma once
/// @file
/// ASCII letter case for protocol text: header names, methods, schemes, enumerated settings.
/// `std::tolower` would depend on the locale and must not be given a negative `char`; these
/// touch A-Z and a-z only.
///
/// ```
/// sluice::ascii::iequals("Content-Type", "content-type"); // true
/// sluice::ascii::upper("get");                            // "GET"
/// ```

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::ascii {

constexpr char to_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr char to_upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

/// Whether `a` and `b` are equal when ASCII letter case is ignored.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i]))
      return false;
  return true;
}

inline std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = to_lower(c);
  return out;
}

inline std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = to_upper(c);
  return out;
}

} // namespace sluice::ascii
