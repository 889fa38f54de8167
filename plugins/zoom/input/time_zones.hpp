#pragma once
// Just enough of the system time zone database (TZif files under /usr/share/zoneinfo, or
// $TZDIR) to check a `timezone` setting and to place a local `start_time` on the UTC time
// line. libstdc++ 12 has no std::chrono::locate_zone, and setenv("TZ") + mktime would
// change the zone of every other thread's localtime() while it runs, so the files are read
// here. Loaded zones are cached for the life of the process; all functions are thread-safe.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::zoom::detail {

// Whether `name` is a zone of the database ("Europe/Berlin", "UTC"). Names that could
// leave the database directory (absolute, "..", odd characters) are never known.
bool is_known_time_zone(std::string_view name);

// A zone name close to `name` ("europe/berlin" -> "Europe/Berlin", "Berlin" ->
// "Europe/Berlin", "Europe/Berlni" -> "Europe/Berlin"), or "" when none is close.
std::string nearest_time_zone(std::string_view name);

// The UTC instants the wall-clock time `local` in zone `name` can denote: one as a rule,
// two when clocks go back (the hour happens twice) and the two neighbours of the skipped
// hour when clocks go forward. Beyond the file's last transition, when the zone still has
// daylight saving time (only in "slim" files), both its standard and daylight offsets are
// returned. Empty when the zone is unknown or its file unreadable.
std::vector<std::chrono::sys_seconds> utc_instants(std::string_view name,
                                                   std::chrono::local_seconds local);

} // namespace sluice::zoom::detail
