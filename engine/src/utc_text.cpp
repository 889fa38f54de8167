#include "utc_text.hpp"

#include <date/date.h>

namespace sluice::detail {

namespace {

char* put_digits(char* out, unsigned value, int digits) {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + digits;
}

} // namespace

std::string utc_text(std::chrono::sys_time<std::chrono::milliseconds> at, bool milliseconds) {
  using namespace std::chrono;
  const sys_days day = floor<days>(at);
  const year_month_day date(day);
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) // outside what four digits say: the general formatter
    return milliseconds ? date::format("%FT%TZ", at) : date::format("%FT%TZ", floor<seconds>(at));
  const hh_mm_ss time(at - day);
  char text[32];
  char* out = put_digits(text, static_cast<unsigned>(year), 4);
  *out++ = '-';
  out = put_digits(out, static_cast<unsigned>(date.month()), 2);
  *out++ = '-';
  out = put_digits(out, static_cast<unsigned>(date.day()), 2);
  *out++ = 'T';
  out = put_digits(out, static_cast<unsigned>(time.hours().count()), 2);
  *out++ = ':';
  out = put_digits(out, static_cast<unsigned>(time.minutes().count()), 2);
  *out++ = ':';
  out = put_digits(out, static_cast<unsigned>(time.seconds().count()), 2);
  if (milliseconds) {
    *out++ = '.';
    out = put_digits(out, static_cast<unsigned>(time.subseconds().count()), 3);
  }
  *out++ = 'Z';
  return std::string(text, out);
}

} // namespace sluice::detail
