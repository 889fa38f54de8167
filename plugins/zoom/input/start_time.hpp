#pragma once
// Dates and times in settings: start_time (UTC, or local in `timezone`), the timezone itself,
// recurrence.end_date_time and the yyyy-mm-dd dates of list queries.

#include "problems.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace sluice::zoom::detail {

// Whether `zone` is a time zone of the system database; otherwise adds a problem to
// `timezone`, with the nearest known name when there is one.
bool check_timezone(std::string_view zone, Problems& problems);

// `start_time` in one of Zoom's two forms and, when `must_be_future`, not before `now` less
// start_time_tolerance. A local time is placed with `zone` when set (`zone_usable` says
// whether check_timezone accepted it), else it is past only when past in every zone.
void check_start_time(std::string_view text, const Value* zone, bool zone_usable,
                      bool must_be_future, std::chrono::sys_seconds now, Problems& problems);

// `recurrence.end_date_time` (reported at `field`): UTC only, and not in the past, since a
// series that ended already has no occurrences.
void check_end_date_time(std::string_view text, const std::string& field,
                         std::chrono::sys_seconds now, Problems& problems);

// Empty when `text` is a real date written yyyy-mm-dd; else the message saying what is wrong.
std::string date_problem(std::string_view text);

} // namespace sluice::zoom::detail
