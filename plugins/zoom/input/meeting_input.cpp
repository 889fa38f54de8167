// Sources of the rules: ZOOM_API.md (the project's fact sheet, "§n" below) and Zoom's
// OpenAPI documents in shared/zoom/spec ("spec": zoom-plugin-operations.json, the create
// and update request bodies). Where the two disagree the fact sheet's newer (2025) value is
// used and the comment says so.

#include <sluice_zoom/meeting_input.hpp>

#include "ascii.hpp"
#include "edit_distance.hpp"
#include "time_zones.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <limits>

namespace sluice::zoom {

namespace {

using Clock = std::chrono::system_clock;
using detail::ascii_alnum;
using detail::ascii_digit;
using detail::ascii_space_or_control;
using detail::edit_distance;
using std::chrono::local_seconds;
using std::chrono::sys_seconds;

// ---------------------------------------------------------------------------------------
// Collecting problems

class Problems {
public:
  void add(std::string field, std::string message) {
    list_.push_back({std::move(field), std::move(message)});
  }
  bool empty() const noexcept { return list_.empty(); }
  std::size_t size() const noexcept { return list_.size(); }
  void throw_if_any() {
    if (!list_.empty())
      throw InputError(std::move(list_));
  }

private:
  std::vector<InvalidInput> list_;
};

std::string join_path(std::string_view parent, std::string_view key) {
  return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

// A value as it appears in a message: JSON (strings quoted), cut short when long.
std::string shown(const Value& value) {
  std::string text = value.to_json();
  constexpr std::size_t limit = 80;
  if (text.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut; // keep whole UTF-8 sequences
    text = text.substr(0, cut) + "...";
  }
  return text;
}

std::string shown(std::string_view text) {
  return shown(Value(text));
}

// Zoom's limits are in characters; a UTF-8 continuation byte does not start one.
std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string kind_of(const Value& value) {
  switch (value.type()) {
  case ValueType::boolean:
    return "a boolean";
  case ValueType::integer:
    return "an integer";
  case ValueType::number:
    return "a number with a fraction";
  case ValueType::string:
    return "text";
  case ValueType::array:
    return "a list";
  case ValueType::object:
    return "an object";
  case ValueType::null:
    break;
  }
  return "null";
}

// ---------------------------------------------------------------------------------------
// Dates and times

struct DateTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool digits_at(std::string_view text, std::size_t at, std::size_t count, int& out) {
  if (at + count > text.size())
    return false;
  out = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!ascii_digit(text[i]))
      return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// "yyyy-mm-dd" at the start of `text`.
bool parse_date(std::string_view text, DateTime& out) {
  return text.size() >= 10 && digits_at(text, 0, 4, out.year) && text[4] == '-' &&
         digits_at(text, 5, 2, out.month) && text[7] == '-' && digits_at(text, 8, 2, out.day);
}

constexpr std::array<std::string_view, 12> month_names = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

// Empty when the fields name a real date and time; else what is wrong.
std::string impossible_part(const DateTime& t) {
  using namespace std::chrono;
  if (t.month < 1 || t.month > 12)
    return "there is no month " + std::to_string(t.month);
  const year_month_day_last last{year{t.year} / month{static_cast<unsigned>(t.month)} /
                                 std::chrono::last};
  const int days = static_cast<int>(static_cast<unsigned>(last.day()));
  if (t.day < 1 || t.day > days)
    return std::string(month_names[static_cast<std::size_t>(t.month - 1)]) + " " +
           std::to_string(t.year) + " has " + std::to_string(days) + " days";
  if (t.hour > 23 || t.minute > 59 || t.second > 59)
    return "hours go up to 23, minutes and seconds up to 59";
  return {};
}

std::chrono::sys_days days_of(const DateTime& t) {
  using namespace std::chrono;
  return sys_days{year{t.year} / month{static_cast<unsigned>(t.month)} /
                  day{static_cast<unsigned>(t.day)}};
}

std::int64_t seconds_since_epoch(const DateTime& t) {
  return std::chrono::duration_cast<std::chrono::seconds>(days_of(t).time_since_epoch()).count() +
         t.hour * 3600 + t.minute * 60 + t.second;
}

std::string format_utc(sys_seconds when) {
  using namespace std::chrono;
  const sys_days day = floor<days>(when);
  const year_month_day date{day};
  const hh_mm_ss<seconds> time{when - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return text;
}

struct StartTime {
  std::int64_t seconds = 0; // the wall-clock fields counted as if they were UTC
  bool utc = false;         // ended in Z
};

constexpr std::string_view start_time_forms =
    "use yyyy-MM-ddTHH:mm:ssZ for UTC (e.g. 2026-12-01T09:00:00Z) or yyyy-MM-ddTHH:mm:ss for "
    "local time in 'timezone' (e.g. 2026-12-01T10:00:00)";

// Zoom's two forms (spec start_time, §2): "yyyy-MM-ddTHH:mm:ssZ" or "yyyy-MM-ddTHH:mm:ss".
std::optional<StartTime> parse_start_time(std::string_view text, bool require_utc,
                                          std::string& problem) {
  DateTime t;
  const bool shape = parse_date(text, t) && text.size() >= 19 && text[10] == 'T' &&
                     digits_at(text, 11, 2, t.hour) && text[13] == ':' &&
                     digits_at(text, 14, 2, t.minute) && text[16] == ':' &&
                     digits_at(text, 17, 2, t.second);
  const std::string_view rest = shape ? text.substr(19) : std::string_view{};
  if (!shape || (rest != "" && rest != "Z")) {
    if (shape && (rest.front() == '.' || rest.front() == '+' || rest.front() == '-'))
      problem = shown(text) +
                " has fractional seconds or a UTC offset, which Zoom does not accept; " +
                (require_utc ? std::string("convert it to UTC and end it with Z")
                             : std::string(start_time_forms));
    else
      problem = shown(text) + " is not a date and time Zoom accepts; " +
                (require_utc ? std::string("use yyyy-MM-ddTHH:mm:ssZ in UTC, e.g. "
                                           "2027-06-30T00:00:00Z")
                             : std::string(start_time_forms));
    return std::nullopt;
  }
  if (require_utc && rest.empty()) {
    problem = shown(text) + " has no Z; this time must be in UTC (yyyy-MM-ddTHH:mm:ssZ)";
    return std::nullopt;
  }
  if (const std::string wrong = impossible_part(t); !wrong.empty()) {
    problem = std::string(text) + " is not a real date and time: " + wrong;
    return std::nullopt;
  }
  return StartTime{seconds_since_epoch(t), rest == "Z"};
}

// UTC offsets in use stay within UTC-12 (Etc/GMT+12) and UTC+14 (Pacific/Kiritimati), so a
// local time of an unknown zone (Zoom then uses the account's zone) is at most this late.
constexpr std::int64_t furthest_behind_utc = 12 * 3600;

// ---------------------------------------------------------------------------------------
// Shapes: the table that drives type, enum, range and length checks

enum class Kind : std::uint8_t { boolean, integer, string, array, object };
// Which request accepts a field: the create and update bodies differ slightly in the spec.
enum class Op : std::uint8_t { both, create, update };

struct Field;

struct Shape {
  Kind kind = Kind::string;
  const std::int64_t* int_values = nullptr; // allowed integers, `value_count` of them
  const std::string_view* string_values = nullptr;
  std::size_t value_count = 0;
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::size_t max_length = 0; // strings: characters, arrays: items; 0 = no limit
  bool email = false;
  const Shape* items = nullptr;  // arrays
  const Field* fields = nullptr; // objects
  std::size_t field_count = 0;
  std::string_view what = {}; // for messages: "minutes", "meeting setting", ...
};

struct Field {
  std::string_view name;
  Shape shape;
  Op op = Op::both;
  bool required = false;
};

template <std::size_t N> constexpr Shape int_enum(const std::int64_t (&values)[N]) {
  return Shape{.kind = Kind::integer, .int_values = values, .value_count = N};
}
template <std::size_t N> constexpr Shape string_enum(const std::string_view (&values)[N]) {
  return Shape{.kind = Kind::string, .string_values = values, .value_count = N};
}
template <std::size_t N>
constexpr Shape object_of(const Field (&fields)[N], std::string_view what) {
  return Shape{.kind = Kind::object, .fields = fields, .field_count = N, .what = what};
}
constexpr Shape list_of(const Shape& items, std::size_t max_items = 0) {
  return Shape{.kind = Kind::array, .max_length = max_items, .items = &items};
}
constexpr Shape boolean{.kind = Kind::boolean};
constexpr Shape text{.kind = Kind::string};
constexpr Shape email_text{.kind = Kind::string, .email = true};
constexpr Shape integer_range(std::int64_t min, std::int64_t max, std::string_view what = {}) {
  return Shape{.kind = Kind::integer, .min = min, .max = max, .what = what};
}
constexpr Shape text_up_to(std::size_t characters) {
  return Shape{.kind = Kind::string, .max_length = characters};
}

// spec: meeting settings (create and update), with the enums and limits given there.
constexpr std::int64_t jbh_times[] = {0, 5, 10};
constexpr std::int64_t approval_types[] = {0, 1, 2};
constexpr std::int64_t registration_types[] = {1, 2, 3};
constexpr std::int64_t calendar_types[] = {1, 2};
constexpr std::string_view audio_kinds[] = {"both", "telephony", "voip", "thirdParty"};
constexpr std::string_view recording_kinds[] = {"local", "cloud", "none"};
constexpr std::string_view encryption_kinds[] = {"enhanced_encryption", "e2ee"};
constexpr std::string_view country_methods[] = {"approve", "deny"};
constexpr std::string_view dial_in_kinds[] = {"toll", "tollfree"};
constexpr Shape text_list = list_of(text);

constexpr Field exception_fields[] = {
    {"email", email_text}, {"name", text}, {"join_url", text, Op::update}};
constexpr Shape exception_shape = object_of(exception_fields, "authentication exception");
constexpr Field room_fields[] = {{"name", text}, {"participants", text_list}};
constexpr Shape room_shape = object_of(room_fields, "breakout room");
constexpr Field breakout_fields[] = {{"enable", boolean}, {"rooms", list_of(room_shape)}};
constexpr Field interpreter_fields[] = {{"email", email_text}, {"languages", text}};
constexpr Shape interpreter_shape = object_of(interpreter_fields, "interpreter");
constexpr Field interpretation_fields[] = {{"enable", boolean},
                                           {"interpreters", list_of(interpreter_shape)}};
constexpr Field country_fields[] = {{"enable", boolean},
                                    {"method", string_enum(country_methods)},
                                    {"approved_list", text_list},
                                    {"denied_list", text_list}};
constexpr Field invitee_fields[] = {{"email", email_text}};
constexpr Shape invitee_shape = object_of(invitee_fields, "invitee");
constexpr Field dial_in_fields[] = {{"city", text},
                                    {"country", text},
                                    {"country_name", text},
                                    {"number", text},
                                    {"type", string_enum(dial_in_kinds)}};
constexpr Shape dial_in_shape = object_of(dial_in_fields, "dial-in number");
constexpr Field custom_key_fields[] = {{"key", text_up_to(64)}, {"value", text_up_to(256)}};
constexpr Shape custom_key_shape = object_of(custom_key_fields, "custom key");

constexpr Field setting_fields[] = {
    {"host_video", boolean},
    {"participant_video", boolean},
    {"cn_meeting", boolean},
    {"in_meeting", boolean},
    {"join_before_host", boolean},
    {"jbh_time", int_enum(jbh_times)},
    {"mute_upon_entry", boolean},
    {"watermark", boolean},
    {"use_pmi", boolean},
    {"approval_type", int_enum(approval_types)},
    {"registration_type", int_enum(registration_types)},
    {"audio", string_enum(audio_kinds)},
    {"auto_recording", string_enum(recording_kinds)},
    {"alternative_hosts", text},
    {"alternative_hosts_email_notification", boolean},
    {"alternative_host_update_polls", boolean},
    {"close_registration", boolean},
    {"waiting_room", boolean},
    {"global_dial_in_countries", text_list},
    {"global_dial_in_numbers", list_of(dial_in_shape), Op::update},
    {"contact_name", text},
    {"contact_email", email_text},
    {"registrants_confirmation_email", boolean},
    {"registrants_email_notification", boolean},
    {"meeting_authentication", boolean},
    {"authentication_option", text},
    {"authentication_domains", text},
    {"authentication_name", text, Op::update},
    {"authentication_exception", list_of(exception_shape)},
    {"additional_data_center_regions", text_list, Op::create},
    {"breakout_room", object_of(breakout_fields, "breakout_room setting")},
    {"language_interpretation",
     object_of(interpretation_fields, "language_interpretation setting")},
    {"approved_or_denied_countries_or_regions", object_of(country_fields, "countries setting")},
    {"meeting_invitees", list_of(invitee_shape)},
    {"show_share_button", boolean},
    {"allow_multiple_devices", boolean},
    {"encryption_type", string_enum(encryption_kinds)},
    {"email_notification", boolean},
    {"calendar_type", int_enum(calendar_types)},
    {"private_meeting", boolean},
    {"focus_mode", boolean},
    {"host_save_video_order", boolean},
    {"audio_conference_info", text_up_to(2048)},
    {"enforce_login", boolean, Op::update},
    {"enforce_login_domains", text, Op::update},
    {"custom_keys", list_of(custom_key_shape, 10), Op::update},
};

// spec: recurrence; repeat_interval's per-type maximum and the formats are checked later.
constexpr std::int64_t recurrence_types[] = {1, 2, 3};
constexpr std::int64_t monthly_weeks[] = {-1, 1, 2, 3, 4};
constexpr std::int64_t week_days[] = {1, 2, 3, 4, 5, 6, 7};
constexpr Field recurrence_fields[] = {
    {"type", int_enum(recurrence_types), Op::both, true},
    {"repeat_interval", integer_range(1, std::numeric_limits<std::int64_t>::max())},
    {"weekly_days", text},
    {"monthly_day", integer_range(1, 31, "a day of the month")},
    {"monthly_week", int_enum(monthly_weeks)},
    {"monthly_week_day", int_enum(week_days)},
    // §2: at most 60 (Zoom 2025); the 2023 spec says 365 (beyond 50 only via Zoom support).
    {"end_times", integer_range(1, 60, "occurrences")},
    {"end_date_time", text},
};

constexpr Shape recurrence_shape = object_of(recurrence_fields, "recurrence field");
constexpr Shape settings_shape = object_of(setting_fields, "meeting setting");

constexpr Field tracking_field_fields[] = {{"field", text, Op::both, true}, {"value", text}};
constexpr Shape tracking_field_shape = object_of(tracking_field_fields, "tracking field");

// spec: the create/update body. `type` 10 as in Zoom's 2025 spec (spec/README.md patch 3);
// duration 1-1440 from §2 (Zoom 2025; the 2023 spec gives no range).
constexpr std::int64_t meeting_types[] = {1, 2, 3, 8, 10};
constexpr Field body_fields[] = {
    {"topic", text_up_to(200)},
    {"type", int_enum(meeting_types)},
    {"start_time", text},
    {"duration", integer_range(1, 1440, "minutes (at most 24 hours)")},
    {"timezone", text},
    {"password", text_up_to(10)},
    {"default_password", boolean, Op::create},
    {"agenda", text_up_to(2000)},
    {"pre_schedule", boolean},
    {"schedule_for", text},
    {"template_id", text},
    {"tracking_fields", list_of(tracking_field_shape)},
    {"recurrence", recurrence_shape},
    {"settings", settings_shape},
};

std::string_view meeting_type_name(std::int64_t type) {
  switch (type) {
  case 1:
    return "instant";
  case 2:
    return "scheduled";
  case 3:
    return "recurring, no fixed time";
  case 8:
    return "recurring, fixed time";
  case 10:
    return "screen share only";
  default:
    return "unknown";
  }
}

std::string_view request_name(Op op) {
  return op == Op::create ? "creating a meeting" : "updating a meeting";
}

bool accepted_by(const Field& field, Op op) {
  return field.op == Op::both || field.op == op;
}

const Field* find_field(const Shape& shape, std::string_view name) {
  for (std::size_t i = 0; i < shape.field_count; ++i) {
    if (shape.fields[i].name == name)
      return &shape.fields[i];
  }
  return nullptr;
}

std::string unknown_key_message(const Shape& shape, std::string_view key, Op op) {
  std::string message = "unknown " + std::string(shape.what);
  if (shape.fields == setting_fields || shape.fields == recurrence_fields) {
    // A top-level meeting field put inside settings{} or recurrence{}.
    for (const Field& top : body_fields) {
      if (top.name == key)
        return message + "; '" + std::string(key) +
               "' is a meeting field: put it at the top level, next to 'topic'";
    }
  }
  std::string_view best;
  // Close enough to be a typo: about one edit per three characters ("host_vidoe").
  std::size_t best_distance = std::max<std::size_t>(1, key.size() / 3) + 1;
  for (std::size_t i = 0; i < shape.field_count; ++i) {
    const Field& field = shape.fields[i];
    if (!accepted_by(field, op))
      continue;
    const std::size_t distance = edit_distance(key, field.name);
    if (distance < best_distance) {
      best_distance = distance;
      best = field.name;
    }
  }
  if (!best.empty())
    return message + "; did you mean '" + std::string(best) + "'?";
  message += "; allowed: ";
  bool first = true;
  for (std::size_t i = 0; i < shape.field_count; ++i) {
    if (!accepted_by(shape.fields[i], op))
      continue;
    message += (first ? "" : ", ") + std::string(shape.fields[i].name);
    first = false;
  }
  return message;
}

bool looks_like_email(std::string_view text) {
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view domain = text.substr(at + 1);
  const std::size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size() &&
         std::none_of(text.begin(), text.end(),
                      [](char c) { return ascii_space_or_control(c) || c == ',' || c == ';'; });
}

// Checks `value` against `shape`; returns it with null members dropped (null = unset), or
// nothing when it is invalid (problems added).
std::optional<Value> check_shape(const Shape& shape, const Value& value, const std::string& path,
                                 Op op, Problems& problems) {
  const std::size_t before = problems.size();
  switch (shape.kind) {
  case Kind::boolean:
    if (!value.is_bool())
      problems.add(path, "must be true or false, got " + kind_of(value) + " " + shown(value));
    break;
  case Kind::integer: {
    if (!value.is_int()) {
      problems.add(path, "must be a whole number, got " + kind_of(value) + " " + shown(value));
      break;
    }
    const std::int64_t number = value.as_int();
    if (shape.value_count > 0) {
      const bool found = std::find(shape.int_values, shape.int_values + shape.value_count,
                                   number) != shape.int_values + shape.value_count;
      if (!found) {
        std::string allowed;
        for (std::size_t i = 0; i < shape.value_count; ++i)
          allowed += (i ? ", " : "") + std::to_string(shape.int_values[i]);
        problems.add(path, std::to_string(number) + " is not allowed; use one of " + allowed);
      }
    } else if (number < shape.min || number > shape.max) {
      std::string message = std::to_string(number) + " is out of range; use ";
      message += shape.max == std::numeric_limits<std::int64_t>::max()
                     ? "at least " + std::to_string(shape.min)
                     : std::to_string(shape.min) + " to " + std::to_string(shape.max);
      if (!shape.what.empty())
        message += " " + std::string(shape.what);
      problems.add(path, message);
    }
    break;
  }
  case Kind::string: {
    if (!value.is_string()) {
      problems.add(path, "must be text, got " + kind_of(value) + " " + shown(value));
      break;
    }
    const std::string_view content = value.as_string();
    if (shape.value_count > 0) {
      const bool found = std::find(shape.string_values, shape.string_values + shape.value_count,
                                   content) != shape.string_values + shape.value_count;
      if (!found) {
        std::string allowed;
        for (std::size_t i = 0; i < shape.value_count; ++i)
          allowed += (i ? ", " : "") + std::string(shape.string_values[i]);
        problems.add(path, shown(value) + " is not allowed; use one of " + allowed);
      }
    }
    if (const std::size_t length = code_points(content);
        shape.max_length > 0 && length > shape.max_length)
      problems.add(path, "is " + std::to_string(length) + " characters long; Zoom allows at most " +
                             std::to_string(shape.max_length));
    if (shape.email && !looks_like_email(content))
      problems.add(path, shown(value) + " is not an e-mail address");
    break;
  }
  case Kind::array: {
    if (!value.is_array()) {
      problems.add(path, "must be a list, got " + kind_of(value) + " " + shown(value));
      break;
    }
    if (shape.max_length > 0 && value.size() > shape.max_length)
      problems.add(path, "has " + std::to_string(value.size()) + " items; Zoom allows at most " +
                             std::to_string(shape.max_length));
    Array items;
    std::size_t index = 0;
    for (const Value& item : value.as_array()) {
      const std::string item_path = path + "[" + std::to_string(index++) + "]";
      if (auto checked = check_shape(*shape.items, item, item_path, op, problems))
        items.push_back(std::move(*checked));
    }
    if (problems.size() == before)
      return Value(std::move(items));
    return std::nullopt;
  }
  case Kind::object: {
    if (!value.is_object()) {
      problems.add(path, "must be an object (key: value pairs), got " + kind_of(value) + " " +
                             shown(value));
      break;
    }
    Object members;
    for (const auto& [key, member] : value.as_object()) {
      if (member.is_null())
        continue;
      const std::string member_path = join_path(path, key);
      const Field* field = find_field(shape, key);
      if (!field) {
        problems.add(member_path, unknown_key_message(shape, key, op));
        continue;
      }
      if (!accepted_by(*field, op)) {
        problems.add(member_path, "is not accepted when " + std::string(request_name(op)) +
                                      " (Zoom's API has it only when " +
                                      std::string(request_name(field->op)) + ")");
        continue;
      }
      if (auto checked = check_shape(field->shape, member, member_path, op, problems))
        members.emplace_back(key, std::move(*checked));
    }
    for (std::size_t i = 0; i < shape.field_count; ++i) {
      const Field& field = shape.fields[i];
      const Value* member = value.find(field.name);
      if (field.required && (!member || member->is_null()))
        problems.add(join_path(path, field.name), "is required");
    }
    if (problems.size() == before)
      return Value(std::move(members));
    return std::nullopt;
  }
  }
  if (problems.size() == before)
    return value;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Identifiers

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return ascii_digit(c); });
}

std::optional<std::int64_t> parse_int64(std::string_view digits) {
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size())
    return std::nullopt;
  return number;
}

// A positive int64 given as an integer or as decimal digits.
std::optional<std::string> numeric_id(const Value& value, std::string_view field,
                                      std::string_view example, Problems& problems) {
  const std::string hint = " (e.g. " + std::string(example) + ")";
  if (value.is_int()) {
    if (value.as_int() > 0)
      return std::to_string(value.as_int());
    problems.add(std::string(field), std::to_string(value.as_int()) +
                                         " is not a Zoom id; it must be a positive number" + hint);
    return std::nullopt;
  }
  if (!value.is_string()) {
    problems.add(std::string(field), "must be a number or a string of digits" + hint + ", got " +
                                         kind_of(value) + " " + shown(value));
    return std::nullopt;
  }
  const std::string_view text = value.as_string();
  if (!all_digits(text)) {
    const bool spaced =
        std::any_of(text.begin(), text.end(), [](char c) { return ascii_digit(c); });
    problems.add(std::string(field),
                 shown(text) + " is not a Zoom id; use digits only" + hint +
                     (spaced ? ", without the spaces or dashes Zoom shows for readability" : ""));
    return std::nullopt;
  }
  const auto number = parse_int64(text);
  if (!number || *number == 0) {
    problems.add(std::string(field), shown(text) + " is not a Zoom id; it must be a positive " +
                                         "number below 2^63" + hint);
    return std::nullopt;
  }
  return std::to_string(*number);
}

std::optional<std::string> meeting_id(const Value& settings, Problems& problems) {
  const Value* value = settings.find("meeting_id");
  if (!value || value->is_null()) {
    problems.add("meeting_id", "is required: the numeric meeting id (e.g. 85746065432)");
    return std::nullopt;
  }
  return numeric_id(*value, "meeting_id", "85746065432", problems);
}

std::optional<std::string> occurrence_id(const Value& settings, Problems& problems) {
  const Value* value = settings.find("occurrence_id");
  if (!value || value->is_null())
    return std::nullopt;
  return numeric_id(*value, "occurrence_id", "1648194360000", problems);
}

bool zoom_user_id_char(char c) {
  return ascii_alnum(c) || c == '-' || c == '_';
}

// An e-mail address whose characters need no escaping in a URL path segment.
bool path_safe_email(std::string_view text) {
  return looks_like_email(text) && text.size() <= 254 &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return zoom_user_id_char(c) || c == '.' || c == '@' || c == '+';
         });
}

// `me`, an e-mail or a Zoom user id (§1); used for user_id and schedule_for.
bool valid_user(std::string_view text) {
  return text == "me" || path_safe_email(text) ||
         (!text.empty() && text.size() <= 64 &&
          std::all_of(text.begin(), text.end(), zoom_user_id_char));
}

std::string user_id(const Value& settings, Problems& problems) {
  const Value* value = settings.find("user_id");
  if (!value || value->is_null())
    return "me";
  if (!value->is_string()) {
    problems.add("user_id", "must be text (me, an e-mail address or a Zoom user id), got " +
                                kind_of(*value) + " " + shown(*value));
    return {};
  }
  if (!valid_user(value->as_string())) {
    problems.add("user_id", shown(*value) + " is not a Zoom user; use me (the connected user), " +
                                "an e-mail address or a Zoom user id (letters, digits, - and _)");
    return {};
  }
  return std::string(value->as_string());
}

std::optional<bool> optional_bool(const Value& settings, std::string_view key, Problems& problems) {
  const Value* value = settings.find(key);
  if (!value || value->is_null())
    return std::nullopt;
  if (!value->is_bool()) {
    problems.add(std::string(key),
                 "must be true or false, got " + kind_of(*value) + " " + shown(*value));
    return std::nullopt;
  }
  return value->as_bool();
}

// ---------------------------------------------------------------------------------------
// The meeting body: rules across fields

// §2 password: at most 10 characters (checked by the table); the 2023 spec allows letters,
// digits and @ - _ *, Zoom's 2025 text names ! and # as well; both sets are accepted so a
// passcode current Zoom takes is never refused here. Account passcode policies may add rules
// that only Zoom can check.
bool password_char(char c) {
  return ascii_alnum(c) || std::string_view("@-_*!#").find(c) != std::string_view::npos;
}

// "1,3,5": distinct days 1 (Sunday) to 7 (Saturday), comma-separated (spec weekly_days).
std::string weekly_days_problem(std::string_view days) {
  std::array<bool, 8> seen{};
  std::size_t at = 0;
  while (true) {
    const std::size_t comma = std::min(days.find(',', at), days.size());
    const std::string_view day = days.substr(at, comma - at);
    if (day.size() != 1 || day[0] < '1' || day[0] > '7')
      return shown(days) + " is not a list of week days; use digits 1 (Sunday) to 7 (Saturday) "
                           "separated by commas, e.g. \"2,4\" for Monday and Wednesday";
    if (seen[static_cast<std::size_t>(day[0] - '0')])
      return shown(days) + " names day " + std::string(day) + " twice";
    seen[static_cast<std::size_t>(day[0] - '0')] = true;
    if (comma == days.size())
      return {};
    at = comma + 1;
  }
}

class BodyBuilder {
public:
  BodyBuilder(const Value& settings, Clock::time_point now, Op op)
      : settings_(settings), now_(std::chrono::floor<std::chrono::seconds>(now)), op_(op) {}

  Value build() {
    if (!settings_.is_object()) {
      problems_.add("", "the node's settings must be an object, got " + kind_of(settings_));
      problems_.throw_if_any();
    }
    misplaced_keys();
    Object body;
    for (const Field& field : body_fields) {
      const Value* value = settings_.find(field.name);
      if (!value || value->is_null())
        continue;
      if (!accepted_by(field, op_)) {
        problems_.add(std::string(field.name), "is not accepted when " +
                                                   std::string(request_name(op_)) +
                                                   " (Zoom's API has it only when " +
                                                   std::string(request_name(field.op)) + ")");
        continue;
      }
      if (auto checked = check_shape(field.shape, *value, std::string(field.name), op_, problems_))
        body.emplace_back(std::string(field.name), std::move(*checked));
    }
    Value result(std::move(body));
    cross_field_checks(result);
    if (op_ == Op::update && result.size() == 0 && problems_.empty()) {
      std::string names;
      for (const Field& field : body_fields) {
        if (accepted_by(field, Op::update))
          names += (names.empty() ? "" : ", ") + std::string(field.name);
      }
      problems_.add("", "nothing to update: set at least one of " + names +
                            " (meeting_id only says which meeting)");
    }
    problems_.throw_if_any();
    return result;
  }

private:
  // A settings{} or recurrence{} key written at the top level would otherwise be ignored.
  void misplaced_keys() {
    for (const auto& [key, value] : settings_.as_object()) {
      const bool meeting_field = std::any_of(std::begin(body_fields), std::end(body_fields),
                                             [&](const Field& f) { return f.name == key; });
      if (meeting_field)
        continue;
      if (find_field(settings_shape, key))
        problems_.add(key, "is a meeting setting: put it inside 'settings', e.g. settings: { " +
                               key + ": ... }");
      else if (find_field(recurrence_shape, key))
        problems_.add(key, "is a recurrence field: put it inside 'recurrence'");
    }
  }

  void cross_field_checks(const Value& body) {
    std::optional<std::int64_t> type;
    if (const Value* given = body.find("type"))
      type = given->as_int();
    else if (const Value* raw = settings_.find("type");
             op_ == Op::create && (!raw || raw->is_null()))
      type = 2; // spec: type defaults to 2 (scheduled)
    const auto type_known_and = [&](auto predicate) { return type && predicate(*type); };
    const auto type_text = [&] {
      return std::to_string(*type) + " (" + std::string(meeting_type_name(*type)) + ")";
    };

    bool zone_usable = false;
    if (const Value* zone = body.find("timezone"))
      zone_usable = check_timezone(zone->as_string());

    if (const Value* start = body.find("start_time")) {
      if (type_known_and([](std::int64_t t) { return t == 1 || t == 3; }))
        problems_.add("start_time", "is only used by scheduled (type 2) and recurring fixed-time "
                                    "(type 8) meetings; this meeting's type is " +
                                        type_text());
      else
        check_start_time(start->as_string(), body.find("timezone"), zone_usable,
                         /*must_be_future=*/!type || *type == 2 || *type == 8);
    }

    if (const Value* password = body.find("password")) {
      const std::string_view text = password->as_string();
      if (text.empty())
        problems_.add("password", "is empty; leave it unset for no passcode, or set "
                                  "default_password: true to have Zoom generate one");
      else if (!std::all_of(text.begin(), text.end(), password_char))
        problems_.add("password", "may contain only letters, digits and @ - _ * ! #");
    }

    if (const Value* host = body.find("schedule_for")) {
      if (!valid_user(host->as_string()))
        problems_.add("schedule_for", shown(*host) + " is not a Zoom user; use an e-mail address "
                                                     "or a Zoom user id");
      // §2: Zoom refuses schedule_for on instant meetings (400, code 3000).
      if (type_known_and([](std::int64_t t) { return t == 1; }))
        problems_.add("schedule_for", "cannot be used with instant meetings (type 1); schedule "
                                      "the meeting (type 2) to create it for another user");
    }

    if (const Value* pre = body.find("pre_schedule"); pre && pre->as_bool()) {
      // spec pre_schedule: only for types 2 and 3.
      if (type_known_and([](std::int64_t t) { return t != 2 && t != 3; }))
        problems_.add("pre_schedule", "true is only allowed for scheduled (type 2) and recurring "
                                      "no-fixed-time (type 3) meetings; this meeting's type is " +
                                          type_text());
    }

    if (const Value* recurrence = body.find("recurrence")) {
      // spec recurrence: "Use this object only for a meeting with type 8".
      if (type_known_and([](std::int64_t t) { return t != 8; }))
        problems_.add("recurrence", "is only used by recurring fixed-time meetings (type 8); "
                                    "this meeting's type is " +
                                        type_text());
      else
        check_recurrence(*recurrence);
    }
  }

  bool check_timezone(std::string_view zone) {
    if (detail::is_known_time_zone(zone))
      return true;
    std::string message = shown(zone) + " is not a known time zone";
    if (const std::string near = detail::nearest_time_zone(zone); !near.empty())
      message += "; did you mean '" + near + "'?";
    else
      message += "; use an IANA zone name such as America/Los_Angeles, Europe/Berlin or UTC";
    problems_.add("timezone", message);
    return false;
  }

  void check_start_time(std::string_view text, const Value* zone, bool zone_usable,
                        bool must_be_future) {
    std::string problem;
    const auto start = parse_start_time(text, false, problem);
    if (!start) {
      problems_.add("start_time", problem);
      return;
    }
    if (!must_be_future)
      return;
    const sys_seconds limit = now_ - start_time_tolerance;
    std::string when = std::string(text);
    bool past = false;
    if (start->utc) {
      past = sys_seconds(std::chrono::seconds(start->seconds)) < limit;
    } else if (zone) {
      if (!zone_usable)
        return; // the timezone problem is reported; the instant is unknown
      const auto instants = detail::utc_instants(
          zone->as_string(), local_seconds(std::chrono::seconds(start->seconds)));
      // Ambiguous or skipped local times: past only when every reading is past.
      past = !instants.empty() && instants.back() < limit;
      if (past)
        when += " in " + std::string(zone->as_string()) + " (" + format_utc(instants.back()) + ")";
    } else {
      // Zoom reads it in the account's zone, which is not known here: past only when it is
      // past in every zone.
      past = sys_seconds(std::chrono::seconds(start->seconds + furthest_behind_utc)) < limit;
      if (past)
        when += " (local time, no timezone set)";
    }
    if (past)
      problems_.add("start_time", when + " is in the past (now " + format_utc(now_) +
                                      "); scheduled meetings need a future start time");
  }

  void check_recurrence(const Value& recurrence) {
    const std::int64_t type = recurrence["type"].as_int();
    const auto path = [](std::string_view key) { return "recurrence." + std::string(key); };
    static constexpr std::array<std::string_view, 4> type_names = {"", "daily", "weekly",
                                                                   "monthly"};
    const std::string type_text =
        std::to_string(type) + " (" + std::string(type_names[static_cast<std::size_t>(type)]) + ")";

    // §2 (Zoom 2025): every 99 days, 50 weeks or 10 months at most. The 2023 spec text says
    // 90, 12 and 3; the newer, wider limits are used so nothing current Zoom accepts is
    // refused here.
    if (const Value* interval = recurrence.find("repeat_interval")) {
      static constexpr std::array<std::int64_t, 4> limits = {0, 99, 50, 10};
      static constexpr std::array<std::string_view, 4> units = {"", "days", "weeks", "months"};
      const auto t = static_cast<std::size_t>(type);
      if (interval->as_int() > limits[t])
        problems_.add(path("repeat_interval"),
                      std::to_string(interval->as_int()) + " is too large for " +
                          std::string(type_names[t]) + " recurrence; Zoom allows every 1 to " +
                          std::to_string(limits[t]) + " " + std::string(units[t]));
    }

    const Value* weekly_days = recurrence.find("weekly_days");
    if (type == 2 && !weekly_days)
      problems_.add(path("weekly_days"),
                    "is required for weekly recurrence: the days as digits 1 (Sunday) to 7 "
                    "(Saturday) separated by commas, e.g. \"2,4\"");
    if (weekly_days) {
      if (type != 2)
        problems_.add(path("weekly_days"),
                      "is only used by weekly recurrence (type 2); this recurrence's type is " +
                          type_text);
      else if (const std::string problem = weekly_days_problem(weekly_days->as_string());
               !problem.empty())
        problems_.add(path("weekly_days"), problem);
    }

    const Value* monthly_day = recurrence.find("monthly_day");
    const Value* monthly_week = recurrence.find("monthly_week");
    const Value* monthly_week_day = recurrence.find("monthly_week_day");
    for (const auto* key : {"monthly_day", "monthly_week", "monthly_week_day"}) {
      if (type != 3 && recurrence.find(key))
        problems_.add(path(key), "is only used by monthly recurrence (type 3); this "
                                 "recurrence's type is " +
                                     type_text);
    }
    if (type == 3) {
      if (monthly_week && !monthly_week_day)
        problems_.add(path("monthly_week_day"), "is required with monthly_week: the day of the "
                                                "week, 1 (Sunday) to 7 (Saturday)");
      if (monthly_week_day && !monthly_week)
        problems_.add(path("monthly_week"), "is required with monthly_week_day: the week of the "
                                            "month, 1 to 4, or -1 for the last");
      if (monthly_day && (monthly_week || monthly_week_day))
        problems_.add(path("monthly_day"), "cannot be combined with monthly_week and "
                                           "monthly_week_day; use either a day of the month or "
                                           "a week and a week day");
    }

    const Value* end_date_time = recurrence.find("end_date_time");
    if (end_date_time && recurrence.find("end_times"))
      problems_.add(path("end_times"), "cannot be combined with end_date_time; end the series "
                                       "after a number of occurrences or at a date, not both");
    if (end_date_time) {
      std::string problem;
      const auto end = parse_start_time(end_date_time->as_string(), true, problem);
      if (!end)
        problems_.add(path("end_date_time"), problem);
      else if (sys_seconds(std::chrono::seconds(end->seconds)) < now_ - start_time_tolerance)
        problems_.add(path("end_date_time"), std::string(end_date_time->as_string()) +
                                                 " is in the past (now " + format_utc(now_) +
                                                 "); the series would have no occurrences");
    }
  }

  const Value& settings_;
  sys_seconds now_;
  Op op_;
  Problems problems_;
};

void add_query(std::string& query, std::string_view key, std::string_view value) {
  if (!query.empty())
    query += '&';
  query += key;
  query += '=';
  query += percent_encode(value);
}

constexpr std::string_view list_types[] = {"scheduled", "live", "upcoming", "upcoming_meetings",
                                           "previous_meetings"};

std::optional<std::string> list_date(const Value& settings, std::string_view key,
                                     Problems& problems) {
  const Value* value = settings.find(key);
  if (!value || value->is_null())
    return std::nullopt;
  if (!value->is_string()) {
    problems.add(std::string(key),
                 "must be a date yyyy-mm-dd as text, got " + kind_of(*value) + " " + shown(*value));
    return std::nullopt;
  }
  const std::string_view text = value->as_string();
  DateTime date;
  if (text.size() != 10 || !parse_date(text, date)) {
    problems.add(std::string(key), shown(text) + " is not a date; use yyyy-mm-dd, e.g. 2026-01-31");
    return std::nullopt;
  }
  if (const std::string wrong = impossible_part(date); !wrong.empty()) {
    problems.add(std::string(key), std::string(text) + " is not a real date: " + wrong);
    return std::nullopt;
  }
  return std::string(text);
}

} // namespace

// ---------------------------------------------------------------------------------------

namespace {
std::string join_problems(const std::vector<InvalidInput>& problems) {
  std::string text;
  for (const InvalidInput& problem : problems) {
    if (!text.empty())
      text += "; ";
    if (!problem.field.empty())
      text += "setting '" + problem.field + "': ";
    text += problem.message;
  }
  return text;
}
} // namespace

InputError::InputError(std::vector<InvalidInput> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {
}

Value create_meeting_body(const Value& settings, Clock::time_point now) {
  return BodyBuilder(settings, now, Op::create).build();
}

Value update_meeting_body(const Value& settings, Clock::time_point now) {
  return BodyBuilder(settings, now, Op::update).build();
}

std::string meeting_id_from(const Value& settings) {
  Problems problems;
  auto id = meeting_id(settings, problems);
  problems.throw_if_any();
  return std::move(*id);
}

std::optional<std::string> occurrence_id_from(const Value& settings) {
  Problems problems;
  auto id = occurrence_id(settings, problems);
  problems.throw_if_any();
  return id;
}

std::string user_id_from(const Value& settings) {
  Problems problems;
  std::string id = user_id(settings, problems);
  problems.throw_if_any();
  return id;
}

ListQuery list_query_from(const Value& settings) {
  Problems problems;
  ListQuery query;
  query.user_id = user_id(settings, problems);
  if (const Value* type = settings.find("type"); type && !type->is_null()) {
    if (check_shape(string_enum(list_types), *type, "type", Op::both, problems))
      query.type = std::string(type->as_string());
  }
  // §1, §6: page_size defaults to 30, at most 300.
  if (const Value* size = settings.find("page_size"); size && !size->is_null()) {
    if (check_shape(integer_range(1, 300, "meetings per page"), *size, "page_size", Op::both,
                    problems))
      query.page_size = static_cast<int>(size->as_int());
  }
  query.from = list_date(settings, "from", problems);
  query.to = list_date(settings, "to", problems);
  if (query.from && query.to && *query.from > *query.to)
    problems.add("to", *query.to + " is before from (" + *query.from + ")");
  if (const Value* limit = settings.find("limit"); limit && !limit->is_null()) {
    if (check_shape(integer_range(1, std::numeric_limits<std::int64_t>::max(), "meetings"), *limit,
                    "limit", Op::both, problems))
      query.limit = limit->as_int();
  }
  problems.throw_if_any();
  return query;
}

std::string ListQuery::query_string(std::string_view next_page_token) const {
  std::string query;
  add_query(query, "type", type);
  add_query(query, "page_size", std::to_string(page_size));
  if (from)
    add_query(query, "from", *from);
  if (to)
    add_query(query, "to", *to);
  if (!next_page_token.empty())
    add_query(query, "next_page_token", next_page_token);
  return query;
}

DeleteQuery delete_query_from(const Value& settings) {
  Problems problems;
  DeleteQuery query;
  auto id = meeting_id(settings, problems);
  query.occurrence_id = occurrence_id(settings, problems);
  query.schedule_for_reminder = optional_bool(settings, "schedule_for_reminder", problems);
  query.cancel_meeting_reminder = optional_bool(settings, "cancel_meeting_reminder", problems);
  problems.throw_if_any();
  query.meeting_id = std::move(*id);
  return query;
}

std::string DeleteQuery::query_string() const {
  std::string query;
  if (occurrence_id)
    add_query(query, "occurrence_id", *occurrence_id);
  if (schedule_for_reminder)
    add_query(query, "schedule_for_reminder", *schedule_for_reminder ? "true" : "false");
  if (cancel_meeting_reminder)
    add_query(query, "cancel_meeting_reminder", *cancel_meeting_reminder ? "true" : "false");
  return query;
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (ascii_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0x0F];
    }
  }
  return out;
}

} // namespace sluice::zoom
