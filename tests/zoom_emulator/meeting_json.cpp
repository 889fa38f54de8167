#include "meeting_json.hpp"

#include "util.hpp"

namespace sluice::zoom_emulator {

namespace {

constexpr std::time_t day_seconds = 24 * 60 * 60;
constexpr int max_occurrences = 60;

std::string join_url(const State& state, const Meeting& meeting) {
  return state.base_url() + "/j/" + std::to_string(meeting.id);
}

// Adds `months` calendar months, keeping the wall-clock time in UTC.
std::time_t add_months(std::time_t when, int months) {
  std::tm parts{};
  ::gmtime_r(&when, &parts);
  parts.tm_mon += months;
  return ::timegm(&parts);
}

const User* host_of(const State& state, const Meeting& meeting) {
  return state.find_user(meeting.host_id);
}

} // namespace

Array meeting_occurrences(const Meeting& meeting) {
  Array occurrences;
  if (meeting.type != 8 || !meeting.recurrence.is_object() || !meeting.start_time)
    return occurrences;
  const Value& rule = meeting.recurrence;
  const std::int64_t kind = rule["type"].is_int() ? rule["type"].as_int() : 1;
  const std::int64_t interval =
      rule["repeat_interval"].is_int() ? rule["repeat_interval"].as_int() : 1;
  std::int64_t count = rule["end_times"].is_int() ? rule["end_times"].as_int() : 1;
  std::optional<std::time_t> until;
  if (rule["end_date_time"].is_string()) {
    until = parse_zoom_time(rule["end_date_time"].as_string(), "UTC");
    count = max_occurrences;
  }
  // Weekly and monthly rules are expanded from the start date only (the weekday and
  // week-of-month refinements are stored and echoed, not expanded).
  for (std::int64_t i = 0; i < count && i < max_occurrences; ++i) {
    std::time_t start = *meeting.start_time;
    if (kind == 1)
      start += i * interval * day_seconds;
    else if (kind == 2)
      start += i * interval * 7 * day_seconds;
    else
      start = add_months(start, static_cast<int>(i * interval));
    if (until && start > *until)
      break;
    occurrences.push_back(Value(Object{{"occurrence_id", std::to_string(start * 1000)},
                                       {"start_time", format_utc(start)},
                                       {"duration", meeting.duration},
                                       {"status", "available"}}));
  }
  return occurrences;
}

Value meeting_json(const State& state, const Meeting& meeting, MeetingView view) {
  const User* host = host_of(state, meeting);
  Object body{{"uuid", meeting.uuid},       {"id", meeting.id},
              {"host_id", meeting.host_id}, {"host_email", host ? host->email : std::string{}},
              {"topic", meeting.topic},     {"type", meeting.type}};
  if (view == MeetingView::fetched)
    body.emplace_back("status", "waiting");
  if (meeting.start_time)
    body.emplace_back("start_time", format_utc(*meeting.start_time));
  body.emplace_back("duration", meeting.duration);
  body.emplace_back("timezone", meeting.timezone);
  if (!meeting.agenda.empty())
    body.emplace_back("agenda", meeting.agenda);
  body.emplace_back("created_at", format_utc(meeting.created_at));
  body.emplace_back("start_url", state.base_url() + "/s/" + std::to_string(meeting.id) +
                                     "?zak=" + meeting.host_key);
  body.emplace_back("join_url", join_url(state, meeting));
  if (!meeting.password.empty()) {
    body.emplace_back("password", meeting.password);
    body.emplace_back("h323_password", meeting.password);
    body.emplace_back("pstn_password", meeting.password);
    body.emplace_back("encrypted_password", base64_encode(meeting.password + meeting.uuid));
  }
  body.emplace_back("pre_schedule", meeting.pre_schedule);
  if (meeting.type == 8) {
    body.emplace_back("occurrences", Value(meeting_occurrences(meeting)));
    body.emplace_back("recurrence", meeting.recurrence);
  }
  if (meeting.tracking_fields.is_array())
    body.emplace_back("tracking_fields", meeting.tracking_fields);
  body.emplace_back("settings", meeting.settings);
  return Value(std::move(body));
}

Value meeting_summary_json(const State& state, const Meeting& meeting) {
  Object body{{"uuid", meeting.uuid},
              {"id", meeting.id},
              {"host_id", meeting.host_id},
              {"topic", meeting.topic},
              {"type", meeting.type}};
  if (meeting.start_time)
    body.emplace_back("start_time", format_utc(*meeting.start_time));
  body.emplace_back("duration", meeting.duration);
  body.emplace_back("timezone", meeting.timezone);
  if (!meeting.agenda.empty())
    body.emplace_back("agenda", meeting.agenda);
  body.emplace_back("created_at", format_utc(meeting.created_at));
  body.emplace_back("join_url", join_url(state, meeting));
  return Value(std::move(body));
}

} // namespace sluice::zoom_emulator
