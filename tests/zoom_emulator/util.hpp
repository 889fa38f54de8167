#pragma once
// Small encoding and time helpers used across the emulator (percent-encoding is the SDK's:
// sluice/encoding.hpp, included here for every handler).

#include <sluice/encoding.hpp>

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::zoom_emulator {

// Parses `a=1&b=2` (form or query string); the last occurrence of a key wins.
std::map<std::string, std::string> parse_form(std::string_view text);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding.
std::string pkce_s256(std::string_view verifier);

// `yyyy-MM-ddTHH:mm:ssZ`.
std::string format_utc(std::time_t when);
// Parses `yyyy-MM-ddTHH:mm:ss` with an optional `Z`. With `Z` the time is UTC; without,
// it is local wall-clock time in `timezone` (an IANA zone id). Returns nullopt when the
// text or the zone is invalid.
std::optional<std::time_t> parse_zoom_time(std::string_view text, const std::string& timezone);
// Whether `timezone` names a zone in the system's tz database (plus "UTC"/"GMT").
bool is_known_timezone(const std::string& timezone);
// Start of the next UTC day, for daily limits.
std::time_t next_utc_midnight(std::time_t now);

} // namespace sluice::zoom_emulator
