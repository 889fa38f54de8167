#pragma once
/// @file
/// Validation of the zoom.* node settings and the request bodies and query strings built
/// from them. Pure functions: no I/O except reading the system time zone database
/// (`/usr/share/zoneinfo`, or `$TZDIR`) to check `timezone` and to place a local
/// `start_time` on the UTC time line.
///
/// Every function checks all of its settings before it answers and throws `InputError`
/// listing every problem found, so a user fixes a node in one round. Settings that are
/// null count as unset (a template that evaluated to null). Keys the functions do not read
/// (`connection`, the node's own keys) are ignored at the top level; inside `settings{}`
/// and `recurrence{}` an unknown key is an error, since those objects go to Zoom verbatim.
///
/// Thread safety: all functions may be called from any number of threads at once.
///
/// ```
/// Value settings = Value::parse_json(R"({"topic": "Standup", "type": 2,
///     "start_time": "2026-12-01T09:00:00", "timezone": "Europe/Berlin", "duration": 15,
///     "settings": {"waiting_room": false}})");
/// Value body = sluice::zoom::create_meeting_body(settings, std::chrono::system_clock::now());
/// // POST /users/{user_id_from(settings)}/meetings with body.to_json()
/// ```

#include <sluice/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::zoom {

/// One problem with one setting.
struct InvalidInput {
  /// The setting's path as the user wrote it: `start_time`, `settings.audio`,
  /// `recurrence.weekly_days`, `settings.breakout_room.rooms[0].name`. Empty for a problem
  /// of the settings as a whole (an update that changes nothing).
  std::string field;
  /// User-facing: what is wrong and what is allowed, e.g. "is 11 characters long; Zoom
  /// allows at most 10".
  std::string message;

  friend bool operator==(const InvalidInput&, const InvalidInput&) = default;
};

/// Thrown when settings are invalid; carries every problem found.
///
/// `what()` joins them: "setting 'start_time': ...; setting 'duration': ...".
class InputError : public std::runtime_error {
public:
  explicit InputError(std::vector<InvalidInput> problems);
  const std::vector<InvalidInput>& problems() const noexcept { return problems_; }

private:
  std::vector<InvalidInput> problems_;
};

/// How far in the past a scheduled `start_time` may be and still count as "now or later":
/// the node's clock and Zoom's may disagree by a little, and a pipeline may spend a while
/// between computing a start time and sending it. Five minutes absorbs both while still
/// catching a wrong date, a wrong year or a UTC/local mix-up (those are off by hours).
inline constexpr std::chrono::minutes start_time_tolerance{5};

/// The JSON body of `POST /users/{userId}/meetings` (create meeting).
///
/// Only settings that were set appear in the body (Zoom applies its own defaults to the
/// rest); a boolean set to false is sent as false. Throws `InputError` listing all problems.
Value create_meeting_body(const Value& settings, std::chrono::system_clock::time_point now);

/// The JSON body of `PATCH /meetings/{meetingId}` (update meeting): the same rules as
/// create, every field optional, at least one field to change. Rules that depend on the
/// meeting's type apply only when `type` is part of the update, except the future check
/// of `start_time`, which applies unless the update sets a type that ignores start times.
Value update_meeting_body(const Value& settings, std::chrono::system_clock::time_point now);

/// `meeting_id`: a positive integer or a string of digits that fits int64 (Zoom meeting
/// ids have 9 to 11 digits, beyond 2^31). Returns the decimal digits. Throws `InputError`.
std::string meeting_id_from(const Value& settings);

/// `occurrence_id` when set: digits (Zoom's occurrence ids are epoch milliseconds), given
/// as an integer or a string. Throws `InputError`.
std::optional<std::string> occurrence_id_from(const Value& settings);

/// `user_id`: `me` when unset; otherwise `me`, an e-mail address or a Zoom user id, all
/// made of characters that need no escaping in a URL path. Throws `InputError`.
std::string user_id_from(const Value& settings);

/// The query of `GET /users/{userId}/meetings` (list meetings).
struct ListQuery {
  std::string user_id = "me";
  /// scheduled (Zoom's default), live, upcoming, upcoming_meetings or previous_meetings.
  std::string type = "scheduled";
  /// Meetings per page, 1 to 300.
  int page_size = 30;
  /// `yyyy-mm-dd` bounds, when set.
  std::optional<std::string> from, to;
  /// At most this many meetings in all, when set (the node stops paging there).
  std::optional<std::int64_t> limit;

  /// "type=scheduled&page_size=30&from=2026-01-01&next_page_token=..." without a leading
  /// '?'; each value percent-encoded; the token only when not empty.
  std::string query_string(std::string_view next_page_token = {}) const;
};

/// `user_id`, `type`, `page_size`, `from`, `to` and `limit`. Throws `InputError`.
ListQuery list_query_from(const Value& settings);

/// The path id and query of `DELETE /meetings/{meetingId}`.
struct DeleteQuery {
  std::string meeting_id;
  std::optional<std::string> occurrence_id;
  std::optional<bool> schedule_for_reminder, cancel_meeting_reminder;

  /// "occurrence_id=...&schedule_for_reminder=true&cancel_meeting_reminder=false" with
  /// only the parts that are set; empty when none is; no leading '?'.
  std::string query_string() const;
};

/// `meeting_id`, `occurrence_id`, `schedule_for_reminder` and `cancel_meeting_reminder`.
/// Throws `InputError`.
DeleteQuery delete_query_from(const Value& settings);

} // namespace sluice::zoom
