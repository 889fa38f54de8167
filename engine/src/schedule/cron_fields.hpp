#pragma once
// Owns the five fields of a cron expression: parsing them (with the offset of any mistake)
// and asking whether a wall-clock minute matches. Time zones are schedule.cpp's business.

#include <bitset>
#include <cstddef>
#include <string_view>

namespace sluice::detail {

struct CronFields {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month; // 1-31; bit 0 unused
  std::bitset<13> months;        // 1-12; bit 0 unused
  std::bitset<7> days_of_week;   // 0 = Sunday
  // Whether the day fields start with '*': when both are restricted, a day matching either
  // one fires (crontab(5)); otherwise both must match.
  bool any_day_of_month = false;
  bool any_day_of_week = false;

  bool day_matches(unsigned day_of_month, unsigned month, unsigned day_of_week) const noexcept {
    if (!months[month])
      return false;
    const bool by_date = days_of_month[day_of_month];
    const bool by_weekday = days_of_week[day_of_week];
    if (any_day_of_month || any_day_of_week)
      return by_date && by_weekday;
    return by_date || by_weekday;
  }
};

/// Parses a five-field expression or an @name. Throws ScheduleError (Part::cron) with the
/// offset of the mistake in `text`.
CronFields parse_cron(std::string_view text);

} // namespace sluice::detail
