#pragma once
/// @file
/// Durations as pipeline files write them: `250ms`, `2s`, `1.5s`, `5m`, `1h`, or a bare
/// integer of milliseconds (SDK 1.6: the engine's own reader, for plugins' settings too).

#include <sluice/export.hpp>
#include <sluice/value.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace sluice {

/// Parses a duration; nullopt when malformed or negative.
SLUICE_SDK_API std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
/// Accepts a string duration or a non-negative integer (milliseconds).
SLUICE_SDK_API std::optional<std::chrono::milliseconds> parse_duration(const Value& value);
/// For string literals, which would otherwise be ambiguous between the two above.
inline std::optional<std::chrono::milliseconds> parse_duration(const char* text) {
  return parse_duration(std::string_view(text));
}

} // namespace sluice
