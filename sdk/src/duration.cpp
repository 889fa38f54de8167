// Parsing durations written in pipelines (`250ms`, `1.5s`, `5m`, `1h`, `2d` or plain
// milliseconds): no signs, no fractions of a millisecond, nothing absurdly large.

#include <sluice/duration.hpp>

#include <cmath>
#include <cstdint>

namespace sluice {

namespace {

// Far beyond any sensible timeout (about 31,000 years), yet far from overflowing int64 or
// losing precision in the double arithmetic below.
constexpr double max_duration_ms = 1e15;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t pos = 0;
  // Whole part: at least one digit, no sign (negative durations are rejected by design).
  const std::size_t whole_start = pos;
  while (pos < text.size() && is_digit(text[pos]))
    ++pos;
  if (pos == whole_start)
    return std::nullopt;
  bool has_fraction = false;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t fraction_start = pos;
    while (pos < text.size() && is_digit(text[pos]))
      ++pos;
    if (pos == fraction_start)
      return std::nullopt;
    has_fraction = true;
  }
  const std::string_view number = text.substr(0, pos);
  const std::string_view unit = text.substr(pos);

  double unit_ms = 0;
  if (unit.empty() || unit == "ms")
    unit_ms = 1;
  else if (unit == "s")
    unit_ms = 1000;
  else if (unit == "m")
    unit_ms = 60'000;
  else if (unit == "h")
    unit_ms = 3'600'000;
  else if (unit == "d")
    unit_ms = 86'400'000;
  else
    return std::nullopt;
  // Milliseconds are the resolution: a fraction of one is a typo, not a request.
  if (has_fraction && unit_ms == 1)
    return std::nullopt;

  double value = 0;
  double scale = 0;
  for (char c : number) {
    if (c == '.') {
      scale = 1;
      continue;
    }
    if (scale == 0) {
      value = value * 10 + (c - '0');
    } else {
      scale /= 10;
      value += (c - '0') * scale;
    }
    if (value > max_duration_ms)
      return std::nullopt;
  }
  const double ms = value * unit_ms;
  if (!std::isfinite(ms) || ms > max_duration_ms)
    return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::optional<std::chrono::milliseconds> parse_duration(const Value& value) {
  if (value.is_int()) {
    if (value.as_int() < 0 || static_cast<double>(value.as_int()) > max_duration_ms)
      return std::nullopt;
    return std::chrono::milliseconds(value.as_int());
  }
  if (value.is_string())
    return parse_duration(value.as_string());
  return std::nullopt;
}

} // namespace sluice
