#pragma once
/// @file
/// `Schedule`: a cron expression in an IANA time zone, and the instants at which it fires.
///
/// ```
/// auto weekdays = sluice::Schedule::parse("0 9 * * 1-5", "Europe/Berlin");
/// auto next = weekdays.next_after(std::chrono::floor<std::chrono::seconds>(
///     std::chrono::system_clock::now()));
/// ```
///
/// Five fields, as in crontab(5): minute (0-59), hour (0-23), day of month (1-31), month
/// (1-12 or JAN-DEC), day of week (0-7 or SUN-SAT, 0 and 7 both Sunday). Each field is `*`, a
/// number or name, a range `a-b`, any of these with a step (`*/15`, `8-18/2`, `5/10` = from 5
/// to the end by 10), or a comma-separated list of them. `@yearly` (`@annually`), `@monthly`,
/// `@weekly`, `@daily` (`@midnight`) and `@hourly` stand for their usual five fields. When
/// both the day of month and the day of week are restricted (neither starts with `*`), a day
/// matching either one fires, as in every cron since Vixie's.
///
/// Times are wall-clock times in the zone. Across a daylight-saving change:
/// - a time that does not exist (the hour skipped in spring) fires once, at the first instant
///   after the gap; times in one gap fire together, once;
/// - a time that happens twice (the hour repeated in autumn) fires once, the first time.

#include <sluice/export.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

using SysSeconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

/// A cron expression or time zone that cannot be used.
class SLUICE_API ScheduleError : public std::invalid_argument {
public:
  enum class Part { cron, time_zone };
  ScheduleError(Part part, std::size_t offset, const std::string& message);
  /// What is wrong: the expression or the zone.
  Part part() const noexcept { return part_; }
  /// For the expression: the byte offset where the problem starts.
  std::size_t offset() const noexcept { return offset_; }

private:
  Part part_;
  std::size_t offset_;
};

class SLUICE_API Schedule {
public:
  /// Throws `ScheduleError`: for an expression that is malformed or can never fire (30
  /// February), and for a zone the system's time zone database does not know (with the
  /// nearest name it does know, if any).
  static Schedule parse(std::string_view cron, std::string_view time_zone = "UTC");

  /// The first fire time strictly after `after`; nothing when it never fires again.
  std::optional<SysSeconds> next_after(SysSeconds after) const;
  /// The fire times in (`from`, `to`], at most `limit` of them, the latest ones when there are
  /// more: what a server that was down from `from` to `to` missed.
  std::vector<SysSeconds> missed_between(SysSeconds from, SysSeconds to, std::size_t limit) const;

  const std::string& cron() const noexcept;
  const std::string& time_zone() const noexcept;

private:
  struct Rules;
  explicit Schedule(std::shared_ptr<const Rules> rules) : rules_(std::move(rules)) {}
  std::shared_ptr<const Rules> rules_;
};

/// An instant as `2027-03-28T01:00:00Z`.
SLUICE_API std::string to_iso8601(SysSeconds instant);

} // namespace sluice
