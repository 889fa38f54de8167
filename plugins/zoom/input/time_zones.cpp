// Reading the system time zone database (TZif files): which zones exist, the nearest name to
// a misspelt one, and the UTC instants a local wall-clock time denotes in a zone.

#include "time_zones.hpp"

#include "edit_distance.hpp"

#include "ascii.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>

namespace sluice::zoom::detail {

namespace {

using std::chrono::local_seconds;
using std::chrono::sys_seconds;

std::string zoneinfo_root() {
  // glibc honours TZDIR too; keeping the same override lets a test or a container point
  // both at one database.
  const char* dir = std::getenv("TZDIR");
  return dir && *dir ? std::string(dir) : std::string("/usr/share/zoneinfo");
}

bool name_char(char c) {
  return ascii_alnum(c) || c == '_' || c == '-' || c == '+';
}

// A name that can only resolve to a file inside the database directory, and is a zone
// rather than one of the database's helper files or its posix/ and right/ copies.
bool plausible_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/')
    return false;
  std::size_t begin = 0;
  bool first = true;
  while (begin <= name.size()) {
    const std::size_t end = std::min(name.find('/', begin), name.size());
    const std::string_view part = name.substr(begin, end - begin);
    if (part.empty() || part == "." || part == ".." ||
        !std::all_of(part.begin(), part.end(), name_char))
      return false;
    if (first && (part == "posix" || part == "right"))
      return false;
    first = false;
    begin = end + 1;
  }
  return name != "posixrules" && name != "localtime" && name != "Factory";
}

// One zone as its TZif file describes it (RFC 8536).
struct Zone {
  std::vector<std::int64_t> transitions; // UTC seconds, ascending
  std::vector<std::int32_t> offsets;     // UTC offset in force from transition i on
  std::int32_t initial_offset = 0;       // before the first transition (time type 0)
  // The footer's POSIX TZ rule, which governs after the last transition.
  bool has_footer = false;
  bool footer_has_dst = false;
  std::int32_t footer_std = 0, footer_dst = 0;
};

std::uint32_t read_be32(const std::string& data, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(data[at])) << 24 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + 1])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + 2])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(data[at + 3]));
}

std::int64_t read_be64(const std::string& data, std::size_t at) {
  const std::uint64_t high = read_be32(data, at);
  return static_cast<std::int64_t>(high << 32 | read_be32(data, at + 4));
}

// POSIX TZ offsets count hours west of Greenwich ("CET-1" is UTC+1): returns the UTC
// offset, i.e. the negated value, in seconds.
std::optional<std::int32_t> parse_posix_offset(std::string_view text, std::size_t& at) {
  int sign = 1;
  if (at < text.size() && (text[at] == '+' || text[at] == '-'))
    sign = text[at++] == '-' ? -1 : 1;
  std::int32_t seconds = 0;
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (at >= text.size() || text[at] != ':')
        break;
      ++at;
    }
    const std::size_t start = at;
    std::int32_t number = 0;
    while (at < text.size() && ascii_digit(text[at]) && at - start < 3)
      number = number * 10 + (text[at++] - '0');
    if (at == start)
      return std::nullopt;
    seconds += number * (part == 0 ? 3600 : part == 1 ? 60 : 1);
  }
  return -sign * seconds;
}

bool parse_posix_name(std::string_view text, std::size_t& at) {
  const std::size_t start = at;
  if (at < text.size() && text[at] == '<') {
    const std::size_t close = text.find('>', at);
    if (close == std::string_view::npos)
      return false;
    at = close + 1;
    return true;
  }
  while (at < text.size() && ascii_alpha(text[at]))
    ++at;
  return at - start >= 3;
}

// Reads "std offset [dst [offset][,rule]]"; the rule's dates are not needed (see
// utc_instants), only the two offsets.
void parse_footer(std::string_view text, Zone& zone) {
  std::size_t at = 0;
  if (!parse_posix_name(text, at))
    return;
  const auto standard = parse_posix_offset(text, at);
  if (!standard)
    return;
  zone.has_footer = true;
  zone.footer_std = *standard;
  if (at < text.size() && parse_posix_name(text, at)) {
    zone.footer_has_dst = true;
    zone.footer_dst = *standard + 3600;
    if (at < text.size() && text[at] != ',') {
      if (const auto daylight = parse_posix_offset(text, at))
        zone.footer_dst = *daylight;
    }
  }
}

std::shared_ptr<const Zone> parse_tzif(const std::string& data) {
  constexpr std::size_t header_size = 44;
  if (data.size() < header_size || data.compare(0, 4, "TZif") != 0)
    return nullptr;
  struct Counts {
    std::uint32_t isut, isstd, leap, time, type, chars;
  };
  const auto counts_at = [&](std::size_t at) {
    return Counts{read_be32(data, at + 20), read_be32(data, at + 24), read_be32(data, at + 28),
                  read_be32(data, at + 32), read_be32(data, at + 36), read_be32(data, at + 40)};
  };
  const auto block_size = [](const Counts& c, std::size_t time_size) {
    return std::size_t{c.time} * (time_size + 1) + std::size_t{c.type} * 6 + c.chars +
           std::size_t{c.leap} * (time_size + 4) + c.isstd + c.isut;
  };
  std::size_t header = 0;
  std::size_t time_size = 4;
  Counts counts = counts_at(0);
  if (data[4] >= '2') {
    // Version 2+ repeats the data with 64-bit times after the version 1 block; use those.
    header = header_size + block_size(counts, 4);
    if (data.size() < header + header_size || data.compare(header, 4, "TZif") != 0)
      return nullptr;
    counts = counts_at(header);
    time_size = 8;
  }
  const std::size_t body = header + header_size;
  if (counts.type == 0 || data.size() < body + block_size(counts, time_size))
    return nullptr;

  auto zone = std::make_shared<Zone>();
  const std::size_t indices = body + std::size_t{counts.time} * time_size;
  const std::size_t types = indices + counts.time;
  const auto type_offset = [&](std::size_t type) {
    return static_cast<std::int32_t>(read_be32(data, types + type * 6));
  };
  for (std::uint32_t i = 0; i < counts.time; ++i) {
    const std::size_t at = body + std::size_t{i} * time_size;
    const std::int64_t when =
        time_size == 8 ? read_be64(data, at) : static_cast<std::int32_t>(read_be32(data, at));
    const auto type = static_cast<unsigned char>(data[indices + i]);
    if (type >= counts.type || (!zone->transitions.empty() && when <= zone->transitions.back()))
      return nullptr;
    zone->transitions.push_back(when);
    zone->offsets.push_back(type_offset(type));
  }
  zone->initial_offset = type_offset(0);
  if (time_size == 8) {
    const std::size_t footer = body + block_size(counts, 8);
    if (footer < data.size() && data[footer] == '\n') {
      const std::size_t end = data.find('\n', footer + 1);
      if (end != std::string::npos)
        parse_footer(std::string_view(data).substr(footer + 1, end - footer - 1), *zone);
    }
  }
  return zone;
}

std::shared_ptr<const Zone> load_zone(std::string_view name) {
  if (!plausible_name(name))
    return nullptr;
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const Zone>, std::less<>> cache;
  {
    std::lock_guard lock(mutex);
    if (const auto found = cache.find(name); found != cache.end())
      return found->second;
  }
  std::shared_ptr<const Zone> zone;
  std::ifstream file(zoneinfo_root() + "/" + std::string(name), std::ios::binary);
  if (file) {
    // Real TZif files are a few KiB; refuse to slurp anything large.
    std::string data(256 * 1024, '\0');
    file.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<std::size_t>(file.gcount()));
    if (data.size() < 256 * 1024)
      zone = parse_tzif(data);
  }
  std::lock_guard lock(mutex);
  // Unknown names are cached too, but the cache stays bounded whatever users type.
  if (cache.size() < 4096)
    cache.emplace(std::string(name), zone);
  return zone;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = ascii_lower(c);
  return out;
}

std::string_view last_part(std::string_view name) {
  const std::size_t slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

// Zone names first, then link (alias) names, from tzdata.zi; zone.tab when that is absent.
const std::vector<std::string>& all_zone_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> zones, links;
    std::ifstream zi(zoneinfo_root() + "/tzdata.zi");
    std::string line;
    while (std::getline(zi, line)) {
      std::istringstream words(line);
      std::string kind, first, second;
      words >> kind >> first >> second;
      if (kind == "Z" && plausible_name(first))
        zones.push_back(first);
      else if (kind == "L" && plausible_name(second))
        links.push_back(second);
    }
    if (zones.empty()) {
      std::ifstream tab(zoneinfo_root() + "/zone.tab");
      while (std::getline(tab, line)) {
        std::istringstream words(line);
        std::string code, coordinates, name;
        words >> code >> coordinates >> name;
        if (!code.empty() && code[0] != '#' && plausible_name(name))
          zones.push_back(name);
      }
      zones.push_back("UTC");
    }
    zones.insert(zones.end(), links.begin(), links.end());
    return zones;
  }();
  return names;
}

} // namespace

bool is_known_time_zone(std::string_view name) {
  return load_zone(name) != nullptr;
}

std::string nearest_time_zone(std::string_view name) {
  std::string wanted = lower(name);
  std::replace(wanted.begin(), wanted.end(), ' ', '_');
  const auto& names = all_zone_names();
  for (const std::string& candidate : names) {
    if (lower(candidate) == wanted)
      return candidate;
  }
  if (wanted.find('/') == std::string::npos) {
    for (const std::string& candidate : names) {
      if (lower(last_part(candidate)) == wanted)
        return candidate;
    }
  }
  const std::size_t limit = std::clamp<std::size_t>(wanted.size() / 4, 1, 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const std::string& candidate : names) {
    const std::string candidate_lower = lower(candidate);
    std::size_t distance = edit_distance(wanted, candidate_lower);
    if (wanted.find('/') == std::string::npos)
      distance = std::min(distance, edit_distance(wanted, last_part(candidate_lower)));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

std::vector<sys_seconds> utc_instants(std::string_view name, local_seconds local) {
  const std::shared_ptr<const Zone> zone = load_zone(name);
  if (!zone)
    return {};
  const std::int64_t wall = local.time_since_epoch().count();
  std::vector<std::int64_t> found;
  std::vector<std::int64_t> nearby; // every reading of `wall` by an offset in force near it
  const auto& times = zone->transitions;
  // Real offsets stay within a day of UTC, so only transitions within a day of `wall` matter.
  constexpr std::int64_t day = 24 * 3600;
  auto next = std::upper_bound(times.begin(), times.end(), wall - day);
  while (true) {
    const std::size_t index = static_cast<std::size_t>(next - times.begin());
    const std::int64_t start = index == 0 ? INT64_MIN : times[index - 1];
    const std::int64_t end = next == times.end() ? INT64_MAX : *next;
    std::vector<std::int32_t> offsets;
    if (index == 0)
      offsets.push_back(zone->initial_offset);
    else if (next != times.end() || !zone->has_footer)
      offsets.push_back(zone->offsets[index - 1]);
    else if (!zone->footer_has_dst)
      offsets.push_back(zone->footer_std);
    else { // two pushes: GCC 12 -O2 flags insert(end, {a, b}) on an empty vector (false positive)
      offsets.push_back(zone->footer_std);
      offsets.push_back(zone->footer_dst);
    }
    for (const std::int32_t offset : offsets) {
      const std::int64_t utc = wall - offset;
      nearby.push_back(utc);
      if (utc >= start && utc < end)
        found.push_back(utc);
    }
    if (next == times.end() || *next > wall + day)
      break;
    ++next;
  }
  if (found.empty()) // a skipped wall-clock time: the readings on either side of the gap
    found = nearby;
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  std::vector<sys_seconds> out;
  for (const std::int64_t utc : found)
    out.emplace_back(std::chrono::seconds(utc));
  return out;
}

} // namespace sluice::zoom::detail
