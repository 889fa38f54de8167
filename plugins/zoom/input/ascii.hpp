#pragma once
// ASCII character classes: the <cctype> ones follow the global C locale, and Zoom's rules
// are about ASCII whatever locale the host program set.

namespace sluice::zoom::detail {

constexpr bool ascii_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool ascii_alnum(char c) {
  return ascii_digit(c) || ascii_alpha(c);
}
constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
// Space, tab, newline and the other control characters.
constexpr bool ascii_space_or_control(char c) {
  return static_cast<unsigned char>(c) <= ' ' || c == '\x7f';
}

} // namespace sluice::zoom::detail
