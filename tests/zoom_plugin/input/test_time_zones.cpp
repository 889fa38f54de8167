// The private TZif reader behind the `timezone` checks: zone names, local -> UTC readings.

#include "time_zones.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono;
namespace tz = sluice::zoom::detail;

namespace {

local_seconds local(int y, unsigned m, unsigned d, int h, int min) {
  return local_days{year{y} / month{m} / day{d}} + hours{h} + minutes{min};
}

sys_seconds utc(int y, unsigned m, unsigned d, int h, int min) {
  return sys_days{year{y} / month{m} / day{d}} + hours{h} + minutes{min};
}

using Instants = std::vector<sys_seconds>;

} // namespace

TEST_CASE("zone names: database entries only, no way out of the directory") {
  for (const char* name : {"UTC", "GMT", "Etc/UTC", "Europe/Berlin", "America/Argentina/Salta",
                           "Etc/GMT-14", "US/Eastern"})
    CHECK_MESSAGE(tz::is_known_time_zone(name), name);
  for (const char* name :
       {"", "Europe", "Europe/", "/Europe/Berlin", "Europe//Berlin", "Europe/../Europe/Berlin",
        "../zoneinfo/UTC", "./UTC", "posix/UTC", "right/UTC", "posixrules", "localtime", "Factory",
        "zone.tab", "tzdata.zi", "Mars/Base", "Europe/Berlin\n"})
    CHECK_FALSE_MESSAGE(tz::is_known_time_zone(name), name);
}

TEST_CASE("nearest zone names for typos, case and bare city names") {
  CHECK(tz::nearest_time_zone("europe/berlin") == "Europe/Berlin");
  CHECK(tz::nearest_time_zone("Europe/Berln") == "Europe/Berlin");
  CHECK(tz::nearest_time_zone("Berlin") == "Europe/Berlin");
  CHECK(tz::nearest_time_zone("new york") == "America/New_York");
  CHECK(tz::nearest_time_zone("America/Los_Angelos") == "America/Los_Angeles");
  CHECK(tz::nearest_time_zone("Completely/Unrelated/Name") == "");
}

TEST_CASE("local times become UTC instants, with daylight saving time") {
  CHECK(tz::utc_instants("UTC", local(2026, 7, 1, 10, 0)) == Instants{utc(2026, 7, 1, 10, 0)});
  CHECK(tz::utc_instants("Europe/Berlin", local(2026, 7, 1, 10, 0)) ==
        Instants{utc(2026, 7, 1, 8, 0)});
  CHECK(tz::utc_instants("Europe/Berlin", local(2026, 1, 15, 10, 0)) ==
        Instants{utc(2026, 1, 15, 9, 0)});
  CHECK(tz::utc_instants("Asia/Kolkata", local(2026, 7, 1, 10, 0)) ==
        Instants{utc(2026, 7, 1, 4, 30)});
  // Clocks go back: 01:30 happens twice.
  CHECK(tz::utc_instants("America/New_York", local(2026, 11, 1, 1, 30)) ==
        Instants{utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)});
  // Clocks go forward: 02:30 never happens; the readings on either side of the gap.
  CHECK(tz::utc_instants("America/New_York", local(2026, 3, 8, 2, 30)) ==
        Instants{utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 30)});
  // Beyond the file's last transition the footer rule gives both offsets.
  const Instants far = tz::utc_instants("Europe/Berlin", local(2099, 7, 1, 10, 0));
  CHECK(far == Instants{utc(2099, 7, 1, 8, 0), utc(2099, 7, 1, 9, 0)});
  // Zones without DST stay exact there.
  CHECK(tz::utc_instants("Asia/Tokyo", local(2099, 7, 1, 10, 0)) ==
        Instants{utc(2099, 7, 1, 1, 0)});
  CHECK(tz::utc_instants("Mars/Base", local(2026, 7, 1, 10, 0)).empty());
}

TEST_CASE("zones can be looked up from many threads at once") {
  std::vector<std::thread> threads;
  std::vector<int> right(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &right] {
      const char* zones[] = {"Europe/Paris", "Australia/Sydney", "America/Chicago", "Asia/Dubai"};
      for (int i = 0; i < 50; ++i)
        right[static_cast<std::size_t>(t)] +=
            tz::utc_instants(zones[(t + i) % 4], local(2026, 7, 1, 10, 0)).size() == 1;
    });
  }
  for (auto& thread : threads)
    thread.join();
  CHECK(right == std::vector<int>(4, 50));
}
