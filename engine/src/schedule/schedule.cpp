// When a schedule fires: the next wall-clock minute its fields match, turned into an instant
// through the zone's rules (the system's time zone database, through Howard Hinnant's date
// library, Debian's libhowardhinnant-date-dev: libstdc++ 12 has no std::chrono::tzdb yet).

#include "../message_text.hpp"
#include "../suggest.hpp"
#include "../utc_text.hpp"
#include "cron_fields.hpp"

#include <sluice/schedule.hpp>

#include <date/date.h>
#include <date/tz.h>

#include <utility>

namespace sluice {

namespace chrono = std::chrono;
using LocalMinutes = date::local_time<chrono::minutes>;

namespace {

// How far ahead a fire time is looked for. Any expression that can fire does so within 28
// years (the Gregorian calendar's weekdays repeat after 28 years between century years, and
// 29 February comes within 8).
constexpr int search_days = 366 * 28;

const date::time_zone* find_zone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
  }
  detail::NearestName nearest(name);
  try {
    // Read from /usr/share/zoneinfo, links (US/Eastern) included.
    for (const date::time_zone& zone : date::get_tzdb().zones)
      nearest.consider(zone.name());
  } catch (const std::exception& e) {
    throw ScheduleError(ScheduleError::Part::time_zone, 0,
                        "cannot read the system's time zone database: " + std::string(e.what()) +
                            "; install the tzdata package");
  }
  const auto best = nearest.best();
  throw ScheduleError(ScheduleError::Part::time_zone, 0,
                      "unknown time zone '" + std::string(name) + "'; " +
                          (best ? detail::did_you_mean(best)
                                : "use an IANA name such as Europe/Berlin, America/New_York "
                                  "or UTC"));
}

} // namespace

struct Schedule::Rules {
  std::string cron;
  std::string time_zone;
  detail::CronFields fields;
  const date::time_zone* zone = nullptr;

  // The first wall-clock minute at or after `start` that the fields match.
  std::optional<LocalMinutes> next_local(LocalMinutes start) const {
    date::local_days day = chrono::floor<date::days>(start);
    auto minute_of_day = static_cast<unsigned>((start - day).count());
    for (int i = 0; i <= search_days; ++i, ++day, minute_of_day = 0) {
      const date::year_month_day date{day};
      const date::weekday weekday{day};
      if (!fields.day_matches(static_cast<unsigned>(date.day()),
                              static_cast<unsigned>(date.month()), weekday.c_encoding()))
        continue;
      for (unsigned hour = minute_of_day / 60; hour < 24; ++hour) {
        if (!fields.hours[hour])
          continue;
        const unsigned first = hour == minute_of_day / 60 ? minute_of_day % 60 : 0;
        for (unsigned minute = first; minute < 60; ++minute)
          if (fields.minutes[minute])
            return day + chrono::hours(hour) + chrono::minutes(minute);
      }
    }
    return std::nullopt;
  }
};

ScheduleError::ScheduleError(Part part, std::size_t offset, const std::string& message)
    : std::invalid_argument(message), part_(part), offset_(offset) {
}

Schedule Schedule::parse(std::string_view cron, std::string_view time_zone) {
  auto rules = std::make_shared<Rules>();
  rules->cron = std::string(cron);
  rules->time_zone = std::string(time_zone);
  rules->fields = detail::parse_cron(cron);
  rules->zone = find_zone(time_zone);
  // 30 February, 31 April... parse but never come: refused rather than silently idle.
  if (!rules->next_local(LocalMinutes(date::local_days(date::year(2000) / 1 / 1))))
    throw ScheduleError(ScheduleError::Part::cron, 0,
                        detail::single_quoted(cron) +
                            " never fires: no month has that day (check the day of month "
                            "and month fields)");
  return Schedule(std::move(rules));
}

std::optional<SysSeconds> Schedule::next_after(SysSeconds after) const {
  const date::time_zone& zone = *rules_->zone;
  LocalMinutes start = chrono::floor<chrono::minutes>(zone.to_local(after)) + chrono::minutes(1);
  // Each pass moves `start` on by at least a minute; only a time repeated in a fold that has
  // already passed its first occurrence makes a second pass, so a few suffice.
  for (int pass = 0; pass < 1000; ++pass) {
    const std::optional<LocalMinutes> local = rules_->next_local(start);
    if (!local)
      return std::nullopt;
    const date::local_info info = zone.get_info(date::local_seconds(*local));
    SysSeconds instant;
    switch (info.result) {
    case date::local_info::unique:
      instant = SysSeconds(local->time_since_epoch() - info.first.offset);
      break;
    case date::local_info::nonexistent:
      // Skipped by the clock change: fire when the gap ends. Every time in the gap maps to
      // this one instant, so they fire together, once.
      instant = chrono::floor<chrono::seconds>(info.second.begin);
      break;
    case date::local_info::ambiguous:
      // Happens twice: the first time, under the offset in effect before the change.
      instant = SysSeconds(local->time_since_epoch() - info.first.offset);
      break;
    }
    if (instant > after)
      return instant;
    start = *local + chrono::minutes(1);
  }
  return std::nullopt;
}

std::vector<SysSeconds> Schedule::missed_between(SysSeconds from, SysSeconds to,
                                                 std::size_t limit) const {
  std::vector<SysSeconds> missed;
  if (limit == 0)
    return missed;
  for (auto next = next_after(from); next && *next <= to; next = next_after(*next)) {
    if (missed.size() == limit)
      missed.erase(missed.begin());
    missed.push_back(*next);
  }
  return missed;
}

const std::string& Schedule::cron() const noexcept {
  return rules_->cron;
}

const std::string& Schedule::time_zone() const noexcept {
  return rules_->time_zone;
}

std::string to_iso8601(SysSeconds instant) {
  return detail::utc_text(instant, /*milliseconds=*/false);
}

} // namespace sluice
