// Turning Zoom's error answers into messages a user can act on (docs/zoom-api.md §3).

#include "api_errors.hpp"

#include <sluice/rate_limit.hpp>

#include <ctime>
#include <iomanip>
#include <sstream>

namespace sluice::zoom {

namespace {

std::string text_field(const Value& body, std::string_view key) {
  const Value* field = body.is_object() ? body.find(key) : nullptr;
  return field && field->is_string() ? std::string(field->as_string()) : std::string();
}

std::int64_t code_of(const Value& body) {
  const Value* field = body.is_object() ? body.find("code") : nullptr;
  return field && field->is_int() ? field->as_int() : 0;
}

// "Zoom: <message> (HTTP 404, code 3001) [x-zm-trackingid ...]": Zoom's words, for support.
std::string zoom_says(const ApiAnswer& answer) {
  std::string message = text_field(answer.body, "message");
  std::string text = "Zoom: " + (message.empty() ? std::string("no message") : message) +
                     " (HTTP " + std::to_string(answer.status);
  if (const std::int64_t code = code_of(answer.body); code != 0)
    text += ", code " + std::to_string(code);
  text += ")";
  if (!answer.tracking_id.empty())
    text += " [x-zm-trackingid " + answer.tracking_id + "]";
  return text;
}

std::string field_errors(const Value& body) {
  const Value* errors = body.is_object() ? body.find("errors") : nullptr;
  if (!errors || !errors->is_array())
    return {};
  std::string text;
  for (const Value& e : errors->as_array()) {
    const std::string field = text_field(e, "field");
    const std::string message = text_field(e, "message");
    text += (text.empty() ? "" : "; ") + (field.empty() ? message : field + ": " + message);
  }
  return text;
}

std::string reconnect(const CallDescription& call) {
  return "sluice connect zoom --reconnect --name " + call.connection;
}

std::string utc_text(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::chrono::system_clock::time_point next_utc_midnight(std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  return floor<days>(now) + days(1);
}

} // namespace

NodeError error_for(const ApiAnswer& answer, const CallDescription& call,
                    std::chrono::system_clock::time_point now) {
  const std::int64_t code = code_of(answer.body);
  const std::string zoom = zoom_says(answer);
  const std::string cannot = "cannot " + call.action + " (connection '" + call.connection + "'): ";
  switch (answer.status) {
  case 401:
    return NodeError(ErrorCategory::permission,
                     cannot + "Zoom rejected the access token even after a refresh. " + zoom,
                     "The grant may have been revoked or superseded; run: " + reconnect(call));
  case 403:
    return NodeError(ErrorCategory::permission, cannot + "not allowed. " + zoom,
                     "Check the Zoom user's role and the app's permissions.");
  case 404:
    if (code == 1001)
      return NodeError(ErrorCategory::not_found,
                       cannot + "the user does not exist or is not in this account. " + zoom);
    return NodeError(ErrorCategory::not_found, cannot + "not found. " + zoom,
                     code == 3001 ? "Zoom also answers this for meetings that were deleted or "
                                    "whose number expired."
                                  : "");
  case 429: {
    const bool daily = answer.rate_limit_type == "Daily-limit" ||
                       text_field(answer.body, "message").find("daily") != std::string::npos;
    auto wait = parse_retry_after(answer.retry_after, now);
    if (daily) {
      // Rounded up: `wait` was cut to milliseconds, and a reset announced for 23:59:59
      // instead of 00:00:00 misleads.
      const std::chrono::system_clock::time_point resets =
          wait ? std::chrono::ceil<std::chrono::seconds>(now + *wait) : next_utc_midnight(now);
      return NodeError(ErrorCategory::rate_limited,
                       cannot + "Zoom's daily limit is reached; it resets at " + utc_text(resets) +
                           ". " + zoom,
                       "Zoom allows each host 100 meeting creates and updates per UTC day.",
                       std::chrono::duration_cast<std::chrono::milliseconds>(resets - now));
    }
    return NodeError(ErrorCategory::rate_limited,
                     cannot + "Zoom kept answering 'too many requests'. " + zoom,
                     "Lower the pipeline's concurrency.", wait);
  }
  default:
    break;
  }
  if (answer.status >= 500)
    return NodeError(ErrorCategory::transient, cannot + "Zoom failed. " + zoom);
  switch (code) {
  case 4711:
  case 4700:
    return NodeError(ErrorCategory::permission, cannot + "the connection lacks a scope. " + zoom,
                     "Add the scope " + call.scope +
                         " to the Zoom app on the Marketplace, then run: " + reconnect(call));
  case 300: {
    std::string fields = field_errors(answer.body);
    while (!fields.empty() && fields.back() == '.') // Zoom's messages end in one already
      fields.pop_back();
    return NodeError(ErrorCategory::invalid_input, cannot + "Zoom refused the request" +
                                                       (fields.empty() ? "" : ": " + fields) +
                                                       ". " + zoom);
  }
  case 3003:
    return NodeError(ErrorCategory::permission,
                     cannot + "the connection's user is not the meeting's host. " + zoom);
  case 1010:
    return NodeError(ErrorCategory::permission,
                     cannot + "the user is not in this Zoom account. " + zoom);
  case 3161:
    return NodeError(ErrorCategory::permission,
                     cannot + "the user is not allowed to host or schedule meetings. " + zoom);
  case 3002:
  case 3007:
  case 3018:
  case 3037:
    return NodeError(ErrorCategory::conflict, cannot + zoom);
  default:
    return NodeError(ErrorCategory::invalid_input, cannot + zoom);
  }
}

} // namespace sluice::zoom
