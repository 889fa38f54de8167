// The rules of recurrence{} across its fields: the interval limit of each type, which keys
// each type uses, and how the series ends.

// "§n" cites a section of docs/zoom-api.md; "spec" cites Zoom's OpenAPI document,
// plugins/zoom/spec/zoom-plugin-operations.json.

#include "recurrence.hpp"

#include "start_time.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::zoom::detail {

namespace {

std::string path(std::string_view key) {
  return join_path("recurrence", key);
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
    if (seen[static_cast<std::size_t>(day[0] - '0')]) {
      std::string problem = shown(days);
      problem += " names day ";
      problem += day;
      problem += " twice";
      return problem;
    }
    seen[static_cast<std::size_t>(day[0] - '0')] = true;
    if (comma == days.size())
      return {};
    at = comma + 1;
  }
}

} // namespace

void check_recurrence(const Value& recurrence, std::chrono::sys_seconds now, Problems& problems) {
  const std::int64_t type = recurrence["type"].as_int();
  static constexpr std::array<std::string_view, 4> type_names = {"", "daily", "weekly", "monthly"};
  std::string type_text = std::to_string(type);
  type_text += " (";
  type_text += type_names[static_cast<std::size_t>(type)];
  type_text += ')';

  // §2 (Zoom 2025): every 99 days, 50 weeks or 10 months at most. The 2023 spec text says
  // 90, 12 and 3; the newer, wider limits are used so nothing current Zoom accepts is
  // refused here.
  if (const Value* interval = recurrence.find("repeat_interval")) {
    static constexpr std::array<std::int64_t, 4> limits = {0, 99, 50, 10};
    static constexpr std::array<std::string_view, 4> units = {"", "days", "weeks", "months"};
    const auto t = static_cast<std::size_t>(type);
    if (interval->as_int() > limits[t]) {
      std::string message = std::to_string(interval->as_int());
      message += " is too large for ";
      message += type_names[t];
      message += " recurrence; Zoom allows every 1 to ";
      message += std::to_string(limits[t]);
      message += ' ';
      message += units[t];
      problems.add(path("repeat_interval"), std::move(message));
    }
  }

  const Value* weekly_days = recurrence.find("weekly_days");
  if (type == 2 && !weekly_days)
    problems.add(path("weekly_days"),
                 "is required for weekly recurrence: the days as digits 1 (Sunday) to 7 "
                 "(Saturday) separated by commas, e.g. \"2,4\"");
  if (weekly_days) {
    if (type != 2)
      problems.add(path("weekly_days"),
                   "is only used by weekly recurrence (type 2); this recurrence's type is " +
                       type_text);
    else if (std::string problem = weekly_days_problem(weekly_days->as_string()); !problem.empty())
      problems.add(path("weekly_days"), std::move(problem));
  }

  const Value* monthly_day = recurrence.find("monthly_day");
  const Value* monthly_week = recurrence.find("monthly_week");
  const Value* monthly_week_day = recurrence.find("monthly_week_day");
  for (const auto* key : {"monthly_day", "monthly_week", "monthly_week_day"}) {
    if (type != 3 && recurrence.find(key))
      problems.add(path(key), "is only used by monthly recurrence (type 3); this "
                              "recurrence's type is " +
                                  type_text);
  }
  if (type == 3) {
    if (monthly_week && !monthly_week_day)
      problems.add(path("monthly_week_day"), "is required with monthly_week: the day of the "
                                             "week, 1 (Sunday) to 7 (Saturday)");
    if (monthly_week_day && !monthly_week)
      problems.add(path("monthly_week"), "is required with monthly_week_day: the week of the "
                                         "month, 1 to 4, or -1 for the last");
    if (monthly_day && (monthly_week || monthly_week_day))
      problems.add(path("monthly_day"), "cannot be combined with monthly_week and "
                                        "monthly_week_day; use either a day of the month or "
                                        "a week and a week day");
  }

  const Value* end_date_time = recurrence.find("end_date_time");
  if (end_date_time && recurrence.find("end_times"))
    problems.add(path("end_times"), "cannot be combined with end_date_time; end the series "
                                    "after a number of occurrences or at a date, not both");
  if (end_date_time)
    check_end_date_time(end_date_time->as_string(), path("end_date_time"), now, problems);
}

} // namespace sluice::zoom::detail
