// The Meetings API: create, get, update, delete and list with Zoom's validation rules,
// status codes and error bodies (docs/zoom-api.md §1-3, §6).

#include "errors.hpp"
#include "handlers.hpp"
#include "meeting_json.hpp"
#include "schema.hpp"
#include "util.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace sluice::zoom_emulator {

namespace {

constexpr std::time_t next_page_token_life = 15 * 60;
constexpr int default_page_size = 30;
constexpr int max_page_size = 300;

// Z23 allows letters, digits and @ - _ *; Z25 also names ! and #.
bool valid_password(std::string_view password) {
  return std::all_of(password.begin(), password.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '@' || c == '-' || c == '_' ||
           c == '*' || c == '!' || c == '#';
  });
}

Response invalid_body() {
  return zoom_error(400, code::validation_failed, "Request Body should be a valid JSON object.");
}

std::optional<Value> parse_object(std::string_view body) {
  try {
    Value value = Value::parse_json(body);
    if (value.is_object())
      return value;
  } catch (const JsonError&) {
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_meeting_id(std::string_view text) {
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc{} || end != text.data() + text.size() || id <= 0)
    return std::nullopt;
  return id;
}

Response meeting_not_found(std::string_view meeting_id) {
  return zoom_error(404, code::meeting_not_found,
                    "Meeting does not exist: " + std::string(meeting_id) + ".");
}

Response invalid_occurrence() {
  return zoom_error(400, code::meeting_denied, "Invalid occurrence_id.");
}

// What PATCH with occurrence_id may change in one occurrence (the spec's occurrence_id
// text): agenda, start_time, duration and these settings. Other members are ignored.
constexpr std::array<std::string_view, 7> occurrence_settings = {
    "host_video",   "participant_video", "join_before_host", "mute_upon_entry",
    "waiting_room", "watermark",         "auto_recording"};

void apply_occurrence_fields(State& state, const Meeting& meeting, OccurrenceChange& change,
                             const Value& body) {
  if (const Value* start = body.find("start_time")) {
    const Value& zone = body["timezone"];
    const auto when = parse_zoom_time(
        start->as_string(), zone.is_string() ? std::string(zone.as_string()) : meeting.timezone);
    // As for the whole meeting, a start time in the past is ignored (the spec's PATCH note).
    if (when && *when >= state.now())
      change.start_time = *when;
  }
  if (const Value* duration = body.find("duration"))
    change.duration = static_cast<int>(duration->as_int());
  if (const Value* agenda = body.find("agenda"))
    change.agenda = std::string(agenda->as_string());
  if (const Value* settings = body.find("settings")) {
    Object kept;
    for (const auto& [key, value] : settings->as_object()) {
      if (std::find(occurrence_settings.begin(), occurrence_settings.end(), key) !=
          occurrence_settings.end())
        kept.emplace_back(key, value);
    }
    change.settings = merge_objects(change.settings.is_object() ? change.settings : Value(Object{}),
                                    Value(std::move(kept)));
  }
}

// Checks beyond the schema: rules Zoom documents in prose.
void validate_meeting_rules(const Value& body, const std::string& fallback_timezone,
                            std::vector<FieldError>& errors) {
  if (const Value* password = body.find("password"); password && password->is_string()) {
    if (!valid_password(password->as_string()))
      errors.push_back({"password", "Passcode may only contain letters, digits and @ - _ * ! #."});
  }
  std::string timezone = fallback_timezone;
  if (const Value* zone = body.find("timezone"); zone && zone->is_string()) {
    timezone = std::string(zone->as_string());
    if (!is_known_timezone(timezone))
      errors.push_back({"timezone", "Invalid timezone: " + timezone + "."});
  }
  if (const Value* start = body.find("start_time"); start && start->is_string()) {
    if (is_known_timezone(timezone) && !parse_zoom_time(start->as_string(), timezone))
      errors.push_back(
          {"start_time", "Invalid start_time: " + std::string(start->as_string()) + "."});
  }
  if (const Value* rule = body.find("recurrence"); rule && rule->is_object()) {
    if (rule->find("end_times") && rule->find("end_date_time"))
      errors.push_back(
          {"recurrence.end_date_time", "end_times and end_date_time cannot be used together."});
    const Value& kind = (*rule)["type"];
    const Value& interval = (*rule)["repeat_interval"];
    if (kind.is_int() && interval.is_int()) {
      const std::int64_t limit = kind.as_int() == 1 ? 99 : kind.as_int() == 2 ? 50 : 10;
      if (interval.as_int() > limit)
        errors.push_back({"recurrence.repeat_interval",
                          "repeat_interval must be at most " + std::to_string(limit) + "."});
    }
  }
}

// Schema and rule validation of a create/update body; the error answer, if any.
std::optional<Response> validate_meeting_body(const Value& body,
                                              const std::string& fallback_timezone) {
  std::vector<FieldError> errors;
  validate_schema(meeting_request_schema(), body, "", errors);
  if (errors.empty())
    validate_meeting_rules(body, fallback_timezone, errors);
  if (errors.empty())
    return std::nullopt;
  return validation_error(errors);
}

Value default_settings() {
  return Value(Object{{"host_video", false},
                      {"participant_video", false},
                      {"cn_meeting", false},
                      {"in_meeting", false},
                      {"join_before_host", false},
                      {"jbh_time", 0},
                      {"mute_upon_entry", false},
                      {"watermark", false},
                      {"use_pmi", false},
                      {"approval_type", 2},
                      {"audio", "both"},
                      {"auto_recording", "none"},
                      {"enforce_login", false},
                      {"enforce_login_domains", ""},
                      {"alternative_hosts", ""},
                      {"close_registration", false},
                      {"waiting_room", false},
                      {"registrants_confirmation_email", true},
                      {"registrants_email_notification", true},
                      {"meeting_authentication", false},
                      {"email_notification", true},
                      {"private_meeting", false},
                      {"focus_mode", false}});
}

std::string generate_password(State& state) {
  return std::to_string(state.random_int(100000, 999999));
}

// Applies the members of a validated create/update body to `meeting`.
void apply_meeting_fields(State& state, Meeting& meeting, const Value& body, bool creating) {
  if (const Value* topic = body.find("topic"))
    meeting.topic = std::string(topic->as_string());
  if (const Value* type = body.find("type"))
    meeting.type = static_cast<int>(type->as_int());
  if (const Value* duration = body.find("duration"))
    meeting.duration = static_cast<int>(duration->as_int());
  if (const Value* timezone = body.find("timezone"))
    meeting.timezone = std::string(timezone->as_string());
  if (const Value* agenda = body.find("agenda"))
    meeting.agenda = std::string(agenda->as_string());
  if (const Value* password = body.find("password"))
    meeting.password = std::string(password->as_string());
  else if (creating && body["default_password"].is_bool() && body["default_password"].as_bool())
    meeting.password = generate_password(state);
  if (const Value* pre_schedule = body.find("pre_schedule"))
    meeting.pre_schedule = pre_schedule->as_bool() && (meeting.type == 2 || meeting.type == 3);
  if (const Value* settings = body.find("settings"))
    meeting.settings = merge_objects(meeting.settings, *settings);
  if (const Value* tracking = body.find("tracking_fields"))
    meeting.tracking_fields = *tracking;
  if (const Value* recurrence = body.find("recurrence"))
    meeting.recurrence = *recurrence;

  const bool timed = meeting.type == 2 || meeting.type == 8 || meeting.type == 10;
  if (const Value* start = body.find("start_time"); start && timed) {
    // Local wall-clock times are read in the meeting's time zone (docs/zoom-api.md §7.1).
    meeting.start_time = parse_zoom_time(start->as_string(), meeting.timezone);
  }
  if (meeting.type == 1) {
    meeting.start_time = state.now();
  } else if (meeting.type == 3) {
    meeting.start_time.reset();
  } else if (creating && (!meeting.start_time || *meeting.start_time < state.now())) {
    meeting.start_time = state.now(); // Z25: a missing or past start time means "now"
  }
  if (meeting.type != 8)
    meeting.recurrence = Value();
}

// The host's meetings a List of `type` shows, in Zoom's order (start time, then creation).
struct ListFilter {
  std::string type = "scheduled";
  std::optional<std::time_t> from; // start of the `from` day
  std::optional<std::time_t> to;   // end of the `to` day
  std::string key;                 // identifies the filter for next_page_token checks
};

std::vector<std::int64_t> listed_meetings(const State& state, const User& host,
                                          const ListFilter& filter) {
  const std::string& type = filter.type;
  std::vector<const Meeting*> selected;
  const std::time_t now = state.now();
  for (const auto& [id, meeting] : state.meetings) {
    if (meeting.host_id != host.id || meeting.type == 1)
      continue; // List never shows instant meetings
    const bool recurring = meeting.type == 3 || meeting.type == 8;
    const bool ended =
        !recurring && meeting.start_time && *meeting.start_time + meeting.duration * 60 < now;
    bool include = true;
    if (type == "live")
      include = false; // nobody starts meetings in the emulator
    else if (type == "upcoming" || type == "upcoming_meetings")
      include = !ended;
    else if (type == "previous_meetings")
      include = ended;
    if (filter.from || filter.to) {
      // Date filters select by start time; meetings without one do not match.
      include = include && meeting.start_time &&
                (!filter.from || *meeting.start_time >= *filter.from) &&
                (!filter.to || *meeting.start_time <= *filter.to);
    }
    if (include)
      selected.push_back(&meeting);
  }
  std::sort(selected.begin(), selected.end(), [](const Meeting* a, const Meeting* b) {
    const std::time_t a_start = a->start_time.value_or(a->created_at);
    const std::time_t b_start = b->start_time.value_or(b->created_at);
    return a_start != b_start ? a_start < b_start : a->sequence < b->sequence;
  });
  std::vector<std::int64_t> ids;
  for (const Meeting* meeting : selected)
    ids.push_back(meeting->id);
  return ids;
}

std::optional<int> parse_positive_int(const std::string& text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

} // namespace

Response create_meeting(State& state, const User& owner, const Request& request) {
  const auto body = parse_object(request.body);
  if (!body)
    return invalid_body();
  if (auto failure = validate_meeting_body(*body, owner.timezone))
    return std::move(*failure);
  const User* host = &owner;
  if (const Value* schedule_for = body->find("schedule_for")) {
    if ((*body)["type"].is_int() && (*body)["type"].as_int() == 1)
      return zoom_error(400, code::meeting_denied,
                        "Instant meetings do not support the schedule_for parameter.");
    host = state.find_user(schedule_for->as_string());
    if (!host)
      return validation_error({{"schedule_for", "Invalid schedule_for user: " +
                                                    std::string(schedule_for->as_string()) + "."}});
  }
  if ((*body)["type"].is_int() && (*body)["type"].as_int() == 8 && !body->find("recurrence"))
    return validation_error({{"recurrence", "Recurrence is required for a recurring meeting "
                                            "with a fixed time (type 8)."}});

  Meeting meeting;
  meeting.id = state.new_meeting_id();
  meeting.uuid = base64_encode(state.random_token(16));
  meeting.host_id = host->id;
  meeting.topic = "Zoom meeting";
  meeting.timezone = host->timezone;
  meeting.settings = default_settings();
  meeting.created_at = state.now();
  meeting.sequence = state.next_meeting_sequence++;
  meeting.host_key = percent_encode(base64_encode(state.random_token(24)));
  apply_meeting_fields(state, meeting, *body, true);

  const std::int64_t id = meeting.id;
  state.meetings.emplace(id, std::move(meeting));
  ++state.counters.meetings_created;
  Response response =
      json_response(201, meeting_json(state, state.meetings.at(id), MeetingView::created));
  response.set_header("Location", state.base_url() + "/v2/meetings/" + std::to_string(id));
  return response;
}

const User* meeting_host(State& state, std::string_view meeting_id) {
  const auto id = parse_meeting_id(meeting_id);
  if (!id)
    return nullptr;
  const auto found = state.meetings.find(*id);
  return found == state.meetings.end() ? nullptr : state.find_user(found->second.host_id);
}

Response get_meeting(State& state, std::string_view meeting_id, const Request& request) {
  const auto id = parse_meeting_id(meeting_id);
  const auto found = id ? state.meetings.find(*id) : state.meetings.end();
  if (found == state.meetings.end())
    return meeting_not_found(meeting_id);
  MeetingJsonOptions options;
  if (const std::string* occurrence = request.query_param("occurrence_id")) {
    options.occurrence = live_occurrence(found->second, *occurrence);
    if (!options.occurrence)
      return invalid_occurrence();
  }
  const std::string* previous = request.query_param("show_previous_occurrences");
  options.show_previous_occurrences = previous && *previous == "true";
  return json_response(200, meeting_json(state, found->second, MeetingView::fetched, options));
}

Response update_meeting(State& state, std::string_view meeting_id, const Request& request) {
  const auto id = parse_meeting_id(meeting_id);
  const auto found = id ? state.meetings.find(*id) : state.meetings.end();
  if (found == state.meetings.end())
    return meeting_not_found(meeting_id);
  const auto body = parse_object(request.body);
  if (!body)
    return invalid_body();
  Meeting& meeting = found->second;
  const std::string* occurrence = request.query_param("occurrence_id");
  if (occurrence && !live_occurrence(meeting, *occurrence))
    return invalid_occurrence();
  if (auto failure = validate_meeting_body(*body, meeting.timezone))
    return std::move(*failure);
  if (occurrence) {
    apply_occurrence_fields(state, meeting, meeting.occurrence_changes[*occurrence], *body);
    ++state.counters.meetings_updated;
    return empty_response(204);
  }
  Meeting updated = meeting;
  apply_meeting_fields(state, updated, *body, false);
  if (updated.type == 8 && !updated.recurrence.is_object())
    return validation_error({{"recurrence", "Recurrence is required for a recurring meeting "
                                            "with a fixed time (type 8)."}});
  if (!updated.start_time && (updated.type == 2 || updated.type == 8 || updated.type == 10))
    updated.start_time = state.now();
  // Changes of occurrences the new schedule no longer has are forgotten.
  const std::vector<Occurrence> occurrences = meeting_occurrences(updated);
  std::erase_if(updated.occurrence_changes, [&](const auto& change) {
    return std::none_of(occurrences.begin(), occurrences.end(),
                        [&](const Occurrence& o) { return o.id == change.first; });
  });
  meeting = std::move(updated);
  ++state.counters.meetings_updated;
  return empty_response(204);
}

Response delete_meeting(State& state, std::string_view meeting_id, const Request& request) {
  const auto id = parse_meeting_id(meeting_id);
  const auto found = id ? state.meetings.find(*id) : state.meetings.end();
  if (found == state.meetings.end())
    return meeting_not_found(meeting_id);
  if (const std::string* occurrence = request.query_param("occurrence_id")) {
    // One occurrence: it is marked deleted and the series stays. A second delete of it
    // finds no live occurrence, like an unknown id.
    if (!live_occurrence(found->second, *occurrence))
      return invalid_occurrence();
    found->second.occurrence_changes[*occurrence].deleted = true;
    ++state.counters.occurrences_deleted;
    return empty_response(204);
  }
  state.meetings.erase(found);
  ++state.counters.meetings_deleted;
  return empty_response(204);
}

Response list_meetings(State& state, const User& host, const Request& request) {
  std::vector<FieldError> errors;
  ListFilter filter;
  std::string& type = filter.type;
  if (const std::string* given = request.query_param("type")) {
    type = *given;
    static const std::vector<std::string> types = {"scheduled", "live", "upcoming",
                                                   "upcoming_meetings", "previous_meetings"};
    if (std::find(types.begin(), types.end(), type) == types.end())
      errors.push_back({"type", "Invalid field value: " + type + "."});
  }
  int page_size = default_page_size;
  if (const std::string* given = request.query_param("page_size")) {
    const auto parsed = parse_positive_int(*given);
    if (!parsed || *parsed < 1 || *parsed > max_page_size)
      errors.push_back({"page_size", "page_size must be an integer from 1 to 300."});
    else
      page_size = *parsed;
  }
  int page_number = 1;
  if (const std::string* given = request.query_param("page_number")) {
    const auto parsed = parse_positive_int(*given);
    if (!parsed || *parsed < 0)
      errors.push_back({"page_number", "page_number must be a non-negative integer."});
    else
      page_number = std::max(1, *parsed);
  }
  // `from`/`to` are dates (yyyy-MM-dd) in `timezone` (Z25), UTC when none is given.
  std::string zone = "UTC";
  if (const std::string* given = request.query_param("timezone")) {
    zone = *given;
    if (!is_known_timezone(zone))
      errors.push_back({"timezone", "Invalid timezone: " + zone + "."});
  }
  const auto day_bound = [&](const char* name, const char* time_of_day) {
    std::optional<std::time_t> bound;
    if (const std::string* given = request.query_param(name)) {
      if (given->size() == 10 && is_known_timezone(zone))
        bound = parse_zoom_time(*given + time_of_day, zone);
      if (!bound)
        errors.push_back({name, "Invalid date, expected yyyy-MM-dd: " + *given + "."});
    }
    return bound;
  };
  filter.from = day_bound("from", "T00:00:00");
  filter.to = day_bound("to", "T23:59:59");
  if (!errors.empty())
    return validation_error(errors);
  filter.key = type + "|" + std::to_string(filter.from.value_or(-1)) + "|" +
               std::to_string(filter.to.value_or(-1));

  std::vector<std::int64_t> rest;
  std::size_t total = 0;
  const std::string* token = request.query_param("next_page_token");
  if (token && !token->empty()) {
    const auto cursor = state.cursors.find(*token);
    // A cursor answers only the query it was made for, and only for 15 minutes.
    if (cursor == state.cursors.end() || cursor->second.expires_at < state.now() ||
        cursor->second.user_id != host.id || cursor->second.query != filter.key ||
        (request.query_param("page_size") && cursor->second.page_size != page_size))
      return zoom_error(400, code::validation_failed, "The next page token is invalid or expired.");
    // The token stays valid for its whole life, so a client retrying a page after a lost
    // answer gets the same page again.
    page_size = cursor->second.page_size;
    rest = cursor->second.remaining;
    total = listed_meetings(state, host, filter).size();
    page_number = 0; // unknown when paging by token
  } else {
    rest = listed_meetings(state, host, filter);
    total = rest.size();
    const std::size_t skip = std::min(rest.size(), static_cast<std::size_t>(page_number - 1) *
                                                       static_cast<std::size_t>(page_size));
    rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(skip));
  }

  Array page;
  std::size_t taken = 0;
  while (taken < rest.size() && page.size() < static_cast<std::size_t>(page_size)) {
    // Meetings deleted since the cursor was made are skipped, not shown stale.
    if (const auto meeting = state.meetings.find(rest[taken]); meeting != state.meetings.end())
      page.push_back(meeting_summary_json(state, meeting->second));
    ++taken;
  }
  rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(taken));
  std::string next_token;
  if (!rest.empty()) {
    std::erase_if(state.cursors,
                  [&](const auto& entry) { return entry.second.expires_at < state.now(); });
    next_token = base64_encode(state.random_token(24));
    std::replace(next_token.begin(), next_token.end(), '+', '-');
    std::replace(next_token.begin(), next_token.end(), '/', '_');
    state.cursors[next_token] = ListCursor{host.id, filter.key, page_size, std::move(rest),
                                           state.now() + next_page_token_life};
  }
  const auto page_count = static_cast<std::int64_t>(
      (total + static_cast<std::size_t>(page_size) - 1) / static_cast<std::size_t>(page_size));
  Object body{{"page_size", page_size},
              {"total_records", static_cast<std::int64_t>(total)},
              {"next_page_token", next_token},
              {"page_count", page_count}};
  if (page_number > 0)
    body.emplace_back("page_number", page_number);
  body.emplace_back("meetings", Value(std::move(page)));
  return json_response(200, Value(std::move(body)));
}

} // namespace sluice::zoom_emulator
