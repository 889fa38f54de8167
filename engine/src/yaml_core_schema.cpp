// The scalars of YAML 1.2's core schema: which plain scalars are null, booleans, integers and
// floats, read exactly as the specification's regular expressions say.

#include "yaml_core_schema.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

namespace sluice::detail {

namespace {

bool all_of_chars(std::string_view text, bool (*accept)(char)) {
  if (text.empty())
    return false;
  for (char c : text)
    if (!accept(c))
      return false;
  return true;
}
bool is_decimal_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_octal_digit(char c) {
  return c >= '0' && c <= '7';
}
bool is_hex_digit(char c) {
  return is_decimal_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

} // namespace

bool is_core_null(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}
std::optional<bool> core_bool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE")
    return true;
  if (s == "false" || s == "False" || s == "FALSE")
    return false;
  return std::nullopt;
}

IntegerParse core_integer(std::string_view s, std::int64_t& out) {
  int base = 10;
  std::string_view digits = s;
  bool negative = false;
  if (s.starts_with("0x")) {
    base = 16;
    digits = s.substr(2);
    if (!all_of_chars(digits, is_hex_digit))
      return IntegerParse::not_an_integer;
  } else if (s.starts_with("0o")) {
    base = 8;
    digits = s.substr(2);
    if (!all_of_chars(digits, is_octal_digit))
      return IntegerParse::not_an_integer;
  } else {
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
      negative = digits.front() == '-';
      digits.remove_prefix(1);
    }
    if (!all_of_chars(digits, is_decimal_digit))
      return IntegerParse::not_an_integer;
  }
  // Accumulate as unsigned so that INT64_MIN, whose magnitude exceeds INT64_MAX, still fits.
  std::uint64_t magnitude = 0;
  const auto result =
      std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (result.ec == std::errc::result_out_of_range)
    return IntegerParse::too_big;
  const std::uint64_t limit =
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
  if (magnitude > limit)
    return IntegerParse::too_big;
  out = negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  return IntegerParse::ok;
}

std::optional<double> core_float(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body.front() == '-' || body.front() == '+')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF")
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN" || s == ".NAN")
    return std::numeric_limits<double>::quiet_NaN();
  // [0-9]+(\.[0-9]*)? or \.[0-9]+, then an optional exponent.
  std::size_t i = 0;
  std::size_t whole_digits = 0;
  while (i < body.size() && is_decimal_digit(body[i]))
    ++i, ++whole_digits;
  std::size_t fraction_digits = 0;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && is_decimal_digit(body[i]))
      ++i, ++fraction_digits;
  }
  if (whole_digits == 0 && fraction_digits == 0)
    return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '-' || body[i] == '+'))
      ++i;
    if (i == body.size() || !all_of_chars(body.substr(i), is_decimal_digit))
      return std::nullopt;
    i = body.size();
  }
  if (i != body.size())
    return std::nullopt;
  double value = 0;
  const auto result = std::from_chars(body.data(), body.data() + body.size(), value);
  if (result.ec == std::errc::result_out_of_range)
    value = std::numeric_limits<double>::infinity();
  else if (result.ec != std::errc())
    return std::nullopt;
  return negative ? -value : value;
}

} // namespace sluice::detail
