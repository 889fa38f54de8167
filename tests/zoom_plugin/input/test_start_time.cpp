// start_time: the future check with its clock-skew tolerance, and local times read in their
// timezone (daylight saving time, repeated and skipped hours) or in every zone.

#include "input_test_support.hpp"

using namespace sluice::zoom::test;

TEST_CASE("start_time must be in the future, with a few minutes of clock skew tolerated") {
  using sluice::zoom::start_time_tolerance;
  CHECK(start_time_tolerance == 5min);
  const Value start = json(R"({"start_time": "2026-11-28T15:40:00Z"})");
  // Exactly the tolerance late is still accepted; a second more is not.
  CHECK_NOTHROW(sluice::zoom::create_meeting_body(start, now + start_time_tolerance));
  CHECK_THROWS_AS(sluice::zoom::create_meeting_body(start, now + start_time_tolerance + 1s),
                  InputError);
  // Sub-second parts of now do not matter.
  CHECK_NOTHROW(sluice::zoom::create_meeting_body(start, now + start_time_tolerance + 999ms));
  // Types that ignore start_time's future check: 10 accepts a past one.
  CHECK_NOTHROW(sluice::zoom::create_meeting_body(
      json(R"({"type": 10, "start_time": "2020-01-01T10:00:00Z"})"), now));
}

TEST_CASE("a local start_time is read in its timezone, daylight saving time included") {
  // 10:00 in Berlin on 1 July is 08:00Z (CEST, UTC+2); in January 09:00Z (CET, UTC+1).
  const Value summer =
      json(R"({"start_time": "2026-07-01T10:00:00", "timezone": "Europe/Berlin"})");
  CHECK_NOTHROW(sluice::zoom::create_meeting_body(summer, utc(2026, 7, 1, 8, 4)));
  const auto past = create_problems(summer.to_json(), utc(2026, 7, 1, 8, 30));
  check_single_problem(past, "start_time",
                       "2026-07-01T10:00:00 in Europe/Berlin (2026-07-01T08:00:00Z) is in the past "
                       "(now 2026-07-01T08:30:00Z)");
  const Value winter =
      json(R"({"start_time": "2026-01-15T10:00:00", "timezone": "Europe/Berlin"})");
  CHECK_NOTHROW(sluice::zoom::create_meeting_body(winter, utc(2026, 1, 15, 8, 30)));
  check_single_problem(create_problems(winter.to_json(), utc(2026, 1, 15, 9, 30)), "start_time",
                       "(2026-01-15T09:00:00Z) is in the past");

  // 01:30 on 1 Nov 2026 happens twice in New York (05:30Z EDT, then 06:30Z EST): past only
  // when both are.
  const Value fold =
      json(R"({"start_time": "2026-11-01T01:30:00", "timezone": "America/New_York"})");
  CHECK_NOTHROW(sluice::zoom::create_meeting_body(fold, utc(2026, 11, 1, 6, 0)));
  check_single_problem(create_problems(fold.to_json(), utc(2026, 11, 1, 6, 40)), "start_time",
                       "(2026-11-01T06:30:00Z) is in the past");
  // 02:30 on 8 Mar 2026 does not exist in New York (clocks jump 02:00 -> 03:00).
  const Value gap =
      json(R"({"start_time": "2026-03-08T02:30:00", "timezone": "America/New_York"})");
  CHECK_NOTHROW(sluice::zoom::create_meeting_body(gap, utc(2026, 3, 8, 7, 0)));
  CHECK_THROWS_AS(sluice::zoom::create_meeting_body(gap, utc(2026, 3, 8, 8, 0)), InputError);

  // Far beyond the file's transitions the zone's rule still applies.
  CHECK_NOTHROW(sluice::zoom::create_meeting_body(
      json(R"({"start_time": "2099-07-01T10:00:00", "timezone": "Europe/Berlin"})"), now));
  // Kiritimati is UTC+14: 01:00 local on 29 Nov is 11:00Z on 28 Nov.
  check_single_problem(
      create_problems(R"({"start_time": "2026-11-29T01:00:00", "timezone": "Pacific/Kiritimati"})"),
      "start_time", "(2026-11-28T11:00:00Z) is in the past");
}

TEST_CASE("a local start_time without timezone is past only when past in every zone") {
  // Zoom reads it in the account's zone, unknown here; UTC-12 is the latest reading.
  CHECK_NOTHROW(
      sluice::zoom::create_meeting_body(json(R"({"start_time": "2026-11-28T04:00:00"})"), now));
  check_single_problem(create_problems(R"({"start_time": "2026-11-28T03:00:00"})"), "start_time",
                       "2026-11-28T03:00:00 (local time, no timezone set) is in the past");
}
