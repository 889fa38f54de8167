// Parsing the five fields of a cron expression. Every mistake names the field and points at
// the item it is in, since a pipeline author reads the message next to the line.

#include "cron_fields.hpp"
#include "../message_text.hpp"

#include <sluice/ascii.hpp>
#include <sluice/schedule.hpp>

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice::detail {

namespace {

struct FieldRange {
  const char* name; // as in messages: "minute", "day of week"...
  unsigned low;
  unsigned high;
  // Names accepted for values (JAN..., SUN...), the first one meaning `low`.
  const char* const* names = nullptr;
  unsigned name_count = 0;
};

constexpr std::array<const char*, 12> month_names = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> weekday_names = {"SUN", "MON", "TUE", "WED",
                                                      "THU", "FRI", "SAT"};

// The day of week takes 0-7: 7 is Sunday too, as in most crons.
const std::array<FieldRange, 5> fields = {{
    {"minute", 0, 59},
    {"hour", 0, 23},
    {"day of month", 1, 31},
    {"month", 1, 12, month_names.data(), month_names.size()},
    {"day of week", 0, 7, weekday_names.data(), weekday_names.size()},
}};

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Macro, 7> macros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

[[noreturn]] void fail(std::size_t offset, const std::string& message) {
  throw ScheduleError(ScheduleError::Part::cron, offset, message);
}

class FieldParser {
public:
  FieldParser(const FieldRange& range, std::string_view text, std::size_t offset)
      : range_(range), text_(text), offset_(offset) {}

  // Sets the bits of every value the field names.
  template <std::size_t N> void parse(std::bitset<N>& bits) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text_.find(',', start);
      const std::string_view item = text_.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      parse_item(item, offset_ + start, bits);
      if (comma == std::string_view::npos)
        break;
      start = comma + 1;
    }
  }

private:
  template <std::size_t N>
  void parse_item(std::string_view item, std::size_t at, std::bitset<N>& bits) {
    if (item.empty())
      fail(at, std::string("an empty item in the ") + range_.name + " field");
    std::string_view span = item;
    unsigned step = 1;
    bool has_step = false;
    if (const std::size_t slash = item.find('/'); slash != std::string_view::npos) {
      span = item.substr(0, slash);
      step = number(item.substr(slash + 1), at + slash + 1, "step");
      has_step = true;
      if (step == 0)
        fail(at + slash + 1, std::string("a step of 0 in the ") + range_.name + " field");
      if (step > range_.high - range_.low + 1)
        fail(at + slash + 1, "a step of " + std::to_string(step) + " in the " + range_.name +
                                 " field is larger than the field (" + std::to_string(range_.low) +
                                 "-" + std::to_string(range_.high) + ")");
    }
    unsigned low = range_.low;
    unsigned high = range_.high;
    if (span == "*") {
      if (range_.high == 7) // the day of week: 7 repeats Sunday
        high = 6;
    } else if (const std::size_t dash = span.find('-'); dash != std::string_view::npos) {
      low = value(span.substr(0, dash), at);
      high = value(span.substr(dash + 1), at + dash + 1);
      if (low > high)
        fail(at, "the range " + std::string(span) + " in the " + range_.name +
                     " field goes backwards; write it from low to high");
    } else {
      low = value(span, at);
      // `5/10`: from 5 to the end of the range by 10.
      high = has_step ? range_.high : low;
    }
    // 64 bits: `v += step` cannot wrap around to a value inside the field.
    for (std::uint64_t v = low; v <= high; v += step)
      bits.set(range_.high == 7 && v == 7 ? 0 : static_cast<std::size_t>(v));
  }

  unsigned number(std::string_view text, std::size_t at, const char* what) const {
    unsigned result = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), result);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
      fail(at, single_quoted(text) + " is not a " + what + " in the " + range_.name + " field");
    return result;
  }

  unsigned value(std::string_view text, std::size_t at) const {
    for (unsigned i = 0; i < range_.name_count; ++i)
      if (ascii::iequals(text, range_.names[i]))
        return range_.low + i;
    if (text.empty() || !ascii_digit(text.front())) {
      std::string message = single_quoted(text) + " is not a number";
      if (range_.name_count > 0)
        message +=
            std::string(" or a name (") + range_.names[0] + ", " + range_.names[1] + ", ...)";
      fail(at, message + " in the " + range_.name + " field");
    }
    const unsigned result = number(text, at, "number");
    if (result < range_.low || result > range_.high)
      fail(at, std::string(text) + " is out of range in the " + range_.name + " field (" +
                   std::to_string(range_.low) + "-" + std::to_string(range_.high) + ")");
    return result;
  }

  static bool ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }

  const FieldRange& range_;
  std::string_view text_;
  std::size_t offset_;
};

struct Token {
  std::string_view text;
  std::size_t offset;
};

std::vector<Token> split_fields(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t')
      ++i;
    if (i > start)
      tokens.push_back({text.substr(start, i - start), start});
  }
  return tokens;
}

} // namespace

CronFields parse_cron(std::string_view text) {
  std::vector<Token> tokens = split_fields(text);
  if (tokens.size() == 1 && tokens[0].text.starts_with('@')) {
    for (const Macro& macro : macros)
      if (ascii::iequals(tokens[0].text, macro.name))
        return parse_cron(macro.fields);
    fail(tokens[0].offset, "unknown schedule '" + std::string(tokens[0].text) +
                               "'; use five fields or one of @yearly, @monthly, @weekly, "
                               "@daily, @hourly");
  }
  if (tokens.size() != fields.size())
    fail(tokens.size() > fields.size() ? tokens[fields.size()].offset : 0,
         "a cron expression has five fields (minute hour day-of-month month day-of-week), "
         "got " +
             std::to_string(tokens.size()));
  CronFields cron;
  FieldParser(fields[0], tokens[0].text, tokens[0].offset).parse(cron.minutes);
  FieldParser(fields[1], tokens[1].text, tokens[1].offset).parse(cron.hours);
  FieldParser(fields[2], tokens[2].text, tokens[2].offset).parse(cron.days_of_month);
  FieldParser(fields[3], tokens[3].text, tokens[3].offset).parse(cron.months);
  FieldParser(fields[4], tokens[4].text, tokens[4].offset).parse(cron.days_of_week);
  cron.any_day_of_month = tokens[2].text.starts_with('*');
  cron.any_day_of_week = tokens[4].text.starts_with('*');
  return cron;
}

} // namespace sluice::detail
