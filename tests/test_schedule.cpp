// Schedules (sluice/schedule.hpp): cron fields, and the instants they fire at across both
// daylight-saving changes in three zones, read from the system's time zone database. The
// expected instants were worked out from the zones' rules (Berlin and New York change at
// 02:00 local in March and back at 03:00 / 02:00 in autumn; Sydney, south of the equator,
// the other way round), not from this code.

#include <sluice/schedule.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

using namespace sluice;
namespace chrono = std::chrono;

namespace {

// "2027-03-28T01:00" (UTC) as an instant.
SysSeconds utc(const std::string& text) {
  const int year = std::stoi(text.substr(0, 4));
  const unsigned month = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
  const unsigned day = static_cast<unsigned>(std::stoi(text.substr(8, 2)));
  const int hour = std::stoi(text.substr(11, 2));
  const int minute = std::stoi(text.substr(14, 2));
  return SysSeconds(chrono::sys_days(chrono::year(year) / month / day)) + chrono::hours(hour) +
         chrono::minutes(minute);
}

std::vector<std::string> fires(const Schedule& schedule, SysSeconds after, std::size_t count) {
  std::vector<std::string> out;
  for (auto next = schedule.next_after(after); next && out.size() < count;
       next = schedule.next_after(*next))
    out.push_back(to_iso8601(*next));
  return out;
}

struct Row {
  const char* what;
  const char* cron;
  const char* zone;
  const char* after; // UTC
  std::vector<std::string> expected;
};

} // namespace

TEST_CASE("fire times across daylight-saving changes") {
  const std::vector<Row> rows = {
      // Berlin, spring: 02:00 CET jumps to 03:00 CEST (01:00 UTC) on 28 March 2027.
      {"Berlin gap: 02:30 does not exist, it fires when the gap ends",
       "30 2 * * *",
       "Europe/Berlin",
       "2027-03-27T12:00",
       {"2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z"}},
      {"Berlin gap: 02:00 and 03:00 fire together, once",
       "0 * * * *",
       "Europe/Berlin",
       "2027-03-28T00:30",
       {"2027-03-28T01:00:00Z", "2027-03-28T02:00:00Z"}},
      {"Berlin gap: a quarter-hourly schedule fires once for the whole gap",
       "*/15 * * * *",
       "Europe/Berlin",
       "2027-03-28T00:40",
       {"2027-03-28T00:45:00Z", "2027-03-28T01:00:00Z", "2027-03-28T01:15:00Z"}},
      {"Berlin: the day before and after the gap keep their offsets",
       "0 9 * * *",
       "Europe/Berlin",
       "2027-03-27T00:00",
       {"2027-03-27T08:00:00Z", "2027-03-28T07:00:00Z"}},
      // Berlin, autumn: 03:00 CEST goes back to 02:00 CET (01:00 UTC) on 31 October 2027.
      {"Berlin fold: 02:30 happens twice, it fires the first time",
       "30 2 * * *",
       "Europe/Berlin",
       "2027-10-30T12:00",
       {"2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"}},
      {"Berlin fold: the repeated half hours are not fired again",
       "*/30 * * * *",
       "Europe/Berlin",
       "2027-10-31T00:10",
       {"2027-10-31T00:30:00Z", "2027-10-31T02:00:00Z", "2027-10-31T02:30:00Z"}},
      // New York, spring: 02:00 EST jumps to 03:00 EDT (07:00 UTC) on 14 March 2027.
      {"New York gap",
       "30 2 * * *",
       "America/New_York",
       "2027-03-13T12:00",
       {"2027-03-14T07:00:00Z", "2027-03-15T06:30:00Z"}},
      // New York, autumn: 02:00 EDT goes back to 01:00 EST (06:00 UTC) on 7 November 2027.
      {"New York fold",
       "30 1 * * *",
       "America/New_York",
       "2027-11-06T12:00",
       {"2027-11-07T05:30:00Z", "2027-11-08T06:30:00Z"}},
      {"New York fold: started in the second pass, the repeated times are past",
       "*/20 * * * *",
       "America/New_York",
       "2027-11-07T06:05",
       {"2027-11-07T07:00:00Z", "2027-11-07T07:20:00Z"}},
      {"New York: weekdays at 9:00 across the fold",
       "0 9 * * MON-FRI",
       "America/New_York",
       "2027-11-04T00:00",
       {"2027-11-04T13:00:00Z", "2027-11-05T13:00:00Z", "2027-11-08T14:00:00Z"}},
      // Sydney, autumn (April): 03:00 AEDT goes back to 02:00 AEST (16:00 UTC) on 4 April 2027.
      {"Sydney fold",
       "30 2 * * *",
       "Australia/Sydney",
       "2027-04-03T00:00",
       {"2027-04-03T15:30:00Z", "2027-04-04T16:30:00Z"}},
      // Sydney, spring (October): 02:00 AEST jumps to 03:00 AEDT (16:00 UTC) on 3 October.
      {"Sydney gap",
       "30 2 * * *",
       "Australia/Sydney",
       "2027-10-02T00:00",
       {"2027-10-02T16:00:00Z", "2027-10-03T15:30:00Z"}},
      // No daylight saving at all.
      {"UTC: 29 February comes in a leap year",
       "0 0 29 2 *",
       "UTC",
       "2027-03-01T00:00",
       {"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
      {"both day fields restricted: the 13th or a Friday",
       "0 9 13 * 5",
       "UTC",
       "2027-08-01T00:00",
       {"2027-08-06T09:00:00Z", "2027-08-13T09:00:00Z", "2027-08-20T09:00:00Z",
        "2027-08-27T09:00:00Z", "2027-09-03T09:00:00Z", "2027-09-10T09:00:00Z",
        "2027-09-13T09:00:00Z"}},
      {"a day field starting with * makes the other one decide",
       "0 9 */1 * 5",
       "UTC",
       "2027-08-01T00:00",
       {"2027-08-06T09:00:00Z", "2027-08-13T09:00:00Z"}},
      {"7 is Sunday too; names are case-insensitive",
       "0 12 * jan-feb 7",
       "UTC",
       "2027-01-01T00:00",
       {"2027-01-03T12:00:00Z", "2027-01-10T12:00:00Z"}},
      {"steps, ranges with steps and lists",
       "5/20 8-12/2,23 * * *",
       "UTC",
       "2027-05-01T07:59",
       {"2027-05-01T08:05:00Z", "2027-05-01T08:25:00Z", "2027-05-01T08:45:00Z",
        "2027-05-01T10:05:00Z"}},
      {"@daily",
       "@daily",
       "Europe/Berlin",
       "2027-03-27T12:00",
       {"2027-03-27T23:00:00Z", "2027-03-28T22:00:00Z"}},
      {"@hourly never fires twice at the same instant",
       "@hourly",
       "America/New_York",
       "2027-11-07T04:30",
       {"2027-11-07T05:00:00Z", "2027-11-07T07:00:00Z"}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    const Schedule schedule = Schedule::parse(row.cron, row.zone);
    CHECK(fires(schedule, utc(row.after), row.expected.size()) == row.expected);
  }
}

TEST_CASE("the fire time is strictly after the instant asked about") {
  const Schedule schedule = Schedule::parse("0 9 * * *", "UTC");
  CHECK(to_iso8601(*schedule.next_after(utc("2027-05-01T09:00"))) == "2027-05-02T09:00:00Z");
  CHECK(to_iso8601(*schedule.next_after(utc("2027-05-01T08:59") + chrono::seconds(59))) ==
        "2027-05-01T09:00:00Z");
}

TEST_CASE("what a server that was down missed") {
  const Schedule schedule = Schedule::parse("0 * * * *", "UTC");
  const auto missed = schedule.missed_between(utc("2027-05-01T00:30"), utc("2027-05-01T05:00"), 3);
  std::vector<std::string> shown;
  for (SysSeconds at : missed)
    shown.push_back(to_iso8601(at));
  // The latest three of 01:00 ... 05:00 (05:00 itself included).
  CHECK(shown == std::vector<std::string>{"2027-05-01T03:00:00Z", "2027-05-01T04:00:00Z",
                                          "2027-05-01T05:00:00Z"});
  CHECK(schedule.missed_between(utc("2027-05-01T00:30"), utc("2027-05-01T00:59"), 3).empty());
  CHECK(schedule.missed_between(utc("2027-05-01T00:30"), utc("2027-05-01T05:00"), 0).empty());
}

TEST_CASE("mistakes in a cron expression name the field and point at the item") {
  struct Bad {
    const char* cron;
    std::size_t offset;
    const char* message;
  };
  const std::vector<Bad> bad = {
      {"61 * * * *", 0, "61 is out of range in the minute field (0-59)"},
      {"0 24 * * *", 2, "24 is out of range in the hour field (0-23)"},
      {"0 9 0 * *", 4, "0 is out of range in the day of month field (1-31)"},
      {"0 9 * 13 *", 6, "13 is out of range in the month field (1-12)"},
      {"0 9 * * FRY", 8,
       "'FRY' is not a number or a name (SUN, MON, ...) in the day of week field"},
      {"0 9 * * 1-5,8", 12, "8 is out of range in the day of week field (0-7)"},
      {"0 9 * *", 0, "a cron expression has five fields"},
      {"0 9 * * * *", 10, "a cron expression has five fields"},
      {"*/0 * * * *", 2, "a step of 0 in the minute field"},
      {"5/4294967295 * * * *", 2,
       "a step of 4294967295 in the minute field is larger than the "
       "field (0-59)"},
      {"0 0 * * */9", 10, "a step of 9 in the day of week field is larger than the field (0-7)"},
      {"0 17-9 * * *", 2, "the range 17-9 in the hour field goes backwards"},
      {"0 9,,10 * * *", 4, "an empty item in the hour field"},
      {"0 9 * * 1/x", 10, "'x' is not a step in the day of week field"},
      {"@reboot", 0, "unknown schedule '@reboot'"},
      {"", 0, "a cron expression has five fields"},
      {"0 0 30 2 *", 0, "never fires"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.cron);
    try {
      (void)Schedule::parse(b.cron, "UTC");
      FAIL("accepted");
    } catch (const ScheduleError& e) {
      CHECK(e.part() == ScheduleError::Part::cron);
      CHECK(e.offset() == b.offset);
      CHECK(std::string(e.what()).find(b.message) != std::string::npos);
    }
  }
}

TEST_CASE("an unknown time zone is refused with the nearest known name") {
  try {
    (void)Schedule::parse("0 9 * * *", "Europe/Berln");
    FAIL("accepted");
  } catch (const ScheduleError& e) {
    CHECK(e.part() == ScheduleError::Part::time_zone);
    CHECK(std::string(e.what()) ==
          "unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?");
  }
  CHECK_THROWS_AS(Schedule::parse("0 9 * * *", "CEST"), ScheduleError);
  CHECK(Schedule::parse("0 9 * * *", "UTC").time_zone() == "UTC");
  CHECK(Schedule::parse("0 9 * * *", "Etc/GMT-2").cron() == "0 9 * * *");
}

TEST_CASE("to_iso8601 writes what the C library's gmtime and strftime write") {
  // Instants spread over 1970-9999, plus the days where a calendar goes wrong first.
  std::vector<std::int64_t> instants = {0,          951782400,  951868799,  1709164800,
                                        1735689599, 1735689600, 4102444800, 253402300799,
                                        86399,      68169600,   -1,         -86400};
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 2000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    instants.push_back(static_cast<std::int64_t>((state >> 11) % 253402300800ULL));
  }
  for (const std::int64_t instant : instants) {
    const std::time_t time = static_cast<std::time_t>(instant);
    std::tm parts{};
    REQUIRE(::gmtime_r(&time, &parts) != nullptr);
    char expected[32];
    REQUIRE(std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%SZ", &parts) > 0);
    CAPTURE(instant);
    CHECK(to_iso8601(SysSeconds(std::chrono::seconds(instant))) == expected);
  }
  // Beyond four digits of year the text grows instead of wrapping.
  CHECK(to_iso8601(SysSeconds(std::chrono::seconds(253402300800))).starts_with("10000-01-01"));
}
