#pragma once
// Zoom's error bodies: `{code, message}` for the API, `{reason, error}` for OAuth.

#include "http_message.hpp"

#include <sluice/value.hpp>

#include <string>
#include <vector>

namespace sluice::zoom_emulator {

// Zoom error codes used by the emulator (docs/zoom-api.md §3 and §5).
namespace code {
inline constexpr int invalid_token = 124;
inline constexpr int validation_failed = 300;
inline constexpr int user_not_found = 1001;
inline constexpr int meeting_denied = 3000;
inline constexpr int meeting_not_found = 3001;
inline constexpr int not_meeting_host = 3003;
inline constexpr int missing_scope = 4711;
inline constexpr int rate_limited = 429;
} // namespace code

struct FieldError {
  std::string field; // dotted path, e.g. "settings.audio"
  std::string message;
};

Response json_response(int status, const Value& body);
Response empty_response(int status);
Response zoom_error(int status, int code, std::string message);
// 400, code 300 "Validation Failed." with `errors[]`.
Response validation_error(const std::vector<FieldError>& errors);
Response oauth_error(int status, std::string error, std::string reason);

} // namespace sluice::zoom_emulator
