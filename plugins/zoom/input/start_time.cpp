// Dates and times in settings: Zoom's date-time forms, the "not in the past" checks of
// start_time and end_date_time, time zone names, and plain yyyy-mm-dd dates.

// "§n" cites a section of docs/zoom-api.md; "spec" cites Zoom's OpenAPI document,
// plugins/zoom/spec/zoom-plugin-operations.json.

#include "start_time.hpp"

#include "ascii.hpp"
#include "time_zones.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>

namespace sluice::zoom::detail {

namespace {

using std::chrono::local_seconds;
using std::chrono::sys_seconds;

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
  if (t.month < 1 || t.month > 12) {
    std::string wrong = "there is no month ";
    wrong += std::to_string(t.month);
    return wrong;
  }
  const year_month_day_last last{year{t.year} / month{static_cast<unsigned>(t.month)} /
                                 std::chrono::last};
  const int days = static_cast<int>(static_cast<unsigned>(last.day()));
  if (t.day < 1 || t.day > days) {
    std::string wrong(month_names[static_cast<std::size_t>(t.month - 1)]);
    wrong += ' ';
    wrong += std::to_string(t.year);
    wrong += " has ";
    wrong += std::to_string(days);
    wrong += " days";
    return wrong;
  }
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
    problem = shown(text);
    if (shape && (rest.front() == '.' || rest.front() == '+' || rest.front() == '-')) {
      problem += " has fractional seconds or a UTC offset, which Zoom does not accept; ";
      problem +=
          require_utc ? std::string_view("convert it to UTC and end it with Z") : start_time_forms;
    } else {
      problem += " is not a date and time Zoom accepts; ";
      problem += require_utc ? std::string_view("use yyyy-MM-ddTHH:mm:ssZ in UTC, e.g. "
                                                "2027-06-30T00:00:00Z")
                             : start_time_forms;
    }
    return std::nullopt;
  }
  if (require_utc && rest.empty()) {
    problem = shown(text);
    problem += " has no Z; this time must be in UTC (yyyy-MM-ddTHH:mm:ssZ)";
    return std::nullopt;
  }
  if (const std::string wrong = impossible_part(t); !wrong.empty()) {
    problem = text;
    problem += " is not a real date and time: ";
    problem += wrong;
    return std::nullopt;
  }
  return StartTime{seconds_since_epoch(t), rest == "Z"};
}

// UTC offsets in use stay within UTC-12 (Etc/GMT+12) and UTC+14 (Pacific/Kiritimati), so a
// local time of an unknown zone (Zoom then uses the account's zone) is at most this late.
constexpr std::int64_t furthest_behind_utc = 12 * 3600;

// "... is in the past (now 2026-11-28T15:40:00Z); <consequence>"
std::string past_message(std::string when, sys_seconds now, std::string_view consequence) {
  when += " is in the past (now ";
  when += format_utc(now);
  when += "); ";
  when += consequence;
  return when;
}

} // namespace

bool check_timezone(std::string_view zone, Problems& problems) {
  if (is_known_time_zone(zone))
    return true;
  std::string message = shown(zone);
  message += " is not a known time zone";
  if (const std::string near = nearest_time_zone(zone); !near.empty()) {
    message += "; did you mean '";
    message += near;
    message += "'?";
  } else {
    message += "; use an IANA zone name such as America/Los_Angeles, Europe/Berlin or UTC";
  }
  problems.add("timezone", std::move(message));
  return false;
}

void check_start_time(std::string_view text, const Value* zone, bool zone_usable,
                      bool must_be_future, sys_seconds now, Problems& problems) {
  std::string problem;
  const auto start = parse_start_time(text, false, problem);
  if (!start) {
    problems.add("start_time", std::move(problem));
    return;
  }
  if (!must_be_future)
    return;
  const sys_seconds limit = now - start_time_tolerance;
  std::string when(text);
  bool past = false;
  if (start->utc) {
    past = sys_seconds(std::chrono::seconds(start->seconds)) < limit;
  } else if (zone) {
    if (!zone_usable)
      return; // the timezone problem is reported; the instant is unknown
    const auto instants =
        utc_instants(zone->as_string(), local_seconds(std::chrono::seconds(start->seconds)));
    // Ambiguous or skipped local times: past only when every reading is past.
    past = !instants.empty() && instants.back() < limit;
    if (past) {
      when += " in ";
      when += zone->as_string();
      when += " (";
      when += format_utc(instants.back());
      when += ')';
    }
  } else {
    // Zoom reads it in the account's zone, which is not known here: past only when it is
    // past in every zone.
    past = sys_seconds(std::chrono::seconds(start->seconds + furthest_behind_utc)) < limit;
    if (past)
      when += " (local time, no timezone set)";
  }
  if (past)
    problems.add("start_time",
                 past_message(std::move(when), now, "scheduled meetings need a future start time"));
}

void check_end_date_time(std::string_view text, const std::string& field, sys_seconds now,
                         Problems& problems) {
  std::string problem;
  const auto end = parse_start_time(text, true, problem);
  if (!end)
    problems.add(field, std::move(problem));
  else if (sys_seconds(std::chrono::seconds(end->seconds)) < now - start_time_tolerance)
    problems.add(field,
                 past_message(std::string(text), now, "the series would have no occurrences"));
}

std::string date_problem(std::string_view text) {
  DateTime date;
  if (text.size() != 10 || !parse_date(text, date)) {
    std::string problem = shown(text);
    problem += " is not a date; use yyyy-mm-dd, e.g. 2026-01-31";
    return problem;
  }
  std::string problem;
  if (const std::string wrong = impossible_part(date); !wrong.empty()) {
    problem = text;
    problem += " is not a real date: ";
    problem += wrong;
  }
  return problem;
}

} // namespace sluice::zoom::detail
