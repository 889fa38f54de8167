// How a stored meeting is shown (meeting_json.hpp): the full object for create and get, the
// summary in lists, with its join URL and the occurrences of a recurring one.

#include "meeting_json.hpp"

#include "util.hpp"

#include <algorithm>

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

// The original starts of a type 8 meeting's occurrences, from its recurrence rule.
std::vector<std::time_t> scheduled_starts(const Meeting& meeting) {
  std::vector<std::time_t> starts;
  if (meeting.type != 8 || !meeting.recurrence.is_object() || !meeting.start_time)
    return starts;
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
    starts.push_back(start);
  }
  return starts;
}

} // namespace

std::vector<Occurrence> meeting_occurrences(const Meeting& meeting) {
  std::vector<Occurrence> occurrences;
  for (const std::time_t start : scheduled_starts(meeting)) {
    Occurrence occurrence{std::to_string(start * 1000), start, meeting.duration, false};
    if (const auto change = meeting.occurrence_changes.find(occurrence.id);
        change != meeting.occurrence_changes.end()) {
      occurrence.start_time = change->second.start_time.value_or(start);
      occurrence.duration = change->second.duration.value_or(meeting.duration);
      occurrence.deleted = change->second.deleted;
    }
    occurrences.push_back(std::move(occurrence));
  }
  // A moved occurrence keeps its id but takes its place by its new start.
  std::stable_sort(
      occurrences.begin(), occurrences.end(),
      [](const Occurrence& a, const Occurrence& b) { return a.start_time < b.start_time; });
  return occurrences;
}

std::optional<Occurrence> live_occurrence(const Meeting& meeting, std::string_view occurrence_id) {
  for (Occurrence& occurrence : meeting_occurrences(meeting)) {
    if (occurrence.id == occurrence_id && !occurrence.deleted)
      return std::move(occurrence);
  }
  return std::nullopt;
}

Value merge_objects(const Value& base, const Value& overlay) {
  Object merged(base.as_object().begin(), base.as_object().end());
  for (const auto& [key, value] : overlay.as_object()) {
    const auto existing =
        std::find_if(merged.begin(), merged.end(),
                     [&key = key](const auto& member) { return member.first == key; });
    if (existing != merged.end())
      existing->second = value;
    else
      merged.emplace_back(key, value);
  }
  return Value(std::move(merged));
}

Value meeting_json(const State& state, const Meeting& meeting, MeetingView view,
                   const MeetingJsonOptions& options) {
  const User* host = host_of(state, meeting);
  // As of one occurrence: its start, duration, agenda and settings replace the series'.
  std::optional<std::time_t> start_time = meeting.start_time;
  int duration = meeting.duration;
  const std::string* agenda = &meeting.agenda;
  Value settings = meeting.settings;
  if (options.occurrence) {
    start_time = options.occurrence->start_time;
    duration = options.occurrence->duration;
    if (const auto change = meeting.occurrence_changes.find(options.occurrence->id);
        change != meeting.occurrence_changes.end()) {
      if (change->second.agenda)
        agenda = &*change->second.agenda;
      if (change->second.settings.is_object())
        settings = merge_objects(settings, change->second.settings);
    }
  }
  Object body{{"uuid", meeting.uuid},       {"id", meeting.id},
              {"host_id", meeting.host_id}, {"host_email", host ? host->email : std::string{}},
              {"topic", meeting.topic},     {"type", meeting.type}};
  if (view == MeetingView::fetched)
    body.emplace_back("status", "waiting");
  if (start_time)
    body.emplace_back("start_time", format_utc(*start_time));
  body.emplace_back("duration", duration);
  body.emplace_back("timezone", meeting.timezone);
  if (!agenda->empty())
    body.emplace_back("agenda", *agenda);
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
    Array occurrences;
    const std::time_t now = state.now();
    for (const Occurrence& occurrence : meeting_occurrences(meeting)) {
      // Occurrences that have ended are shown only on request.
      if (!options.show_previous_occurrences &&
          occurrence.start_time + occurrence.duration * 60 < now)
        continue;
      occurrences.push_back(
          Value(Object{{"occurrence_id", occurrence.id},
                       {"start_time", format_utc(occurrence.start_time)},
                       {"duration", occurrence.duration},
                       {"status", occurrence.deleted ? "deleted" : "available"}}));
    }
    body.emplace_back("occurrences", Value(std::move(occurrences)));
    body.emplace_back("recurrence", meeting.recurrence);
  }
  if (meeting.tracking_fields.is_array())
    body.emplace_back("tracking_fields", meeting.tracking_fields);
  body.emplace_back("settings", std::move(settings));
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
