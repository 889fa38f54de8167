// Small encoding and time helpers used across the emulator (util.hpp).

#include "util.hpp"

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>

namespace sluice::zoom_emulator {

namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool parse_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])))
      return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

bool days_in_month_ok(int year, int month, int day) {
  static constexpr std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1)
    return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= days[static_cast<std::size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
}

// The C library only converts local time through the process-wide TZ variable; the
// emulator handles every request on one thread, so switching it briefly is safe here.
class ScopedTimezone {
public:
  explicit ScopedTimezone(const std::string& zone) {
    if (const char* old = std::getenv("TZ")) {
      previous_ = old;
      had_previous_ = true;
    }
    ::setenv("TZ", zone.c_str(), 1);
    ::tzset();
  }
  ~ScopedTimezone() {
    if (had_previous_)
      ::setenv("TZ", previous_.c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }
  ScopedTimezone(const ScopedTimezone&) = delete;
  ScopedTimezone& operator=(const ScopedTimezone&) = delete;

private:
  std::string previous_;
  bool had_previous_ = false;
};

} // namespace

std::map<std::string, std::string> parse_form(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty())
      continue;
    const auto eq = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, eq), true);
    const std::string value =
        eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true);
    out[key] = value;
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(base64_alphabet[(n >> 18) & 63]);
    out.push_back(base64_alphabet[(n >> 12) & 63]);
    out.push_back(base64_alphabet[(n >> 6) & 63]);
    out.push_back(base64_alphabet[n & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2)
      n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(base64_alphabet[(n >> 18) & 63]);
    out.push_back(base64_alphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? base64_alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=')
      break;
    const auto pos = base64_alphabet.find(c);
    if (pos == std::string_view::npos)
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::string pkce_s256(std::string_view verifier) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(verifier.data(), verifier.size(), digest.data(), &length, EVP_sha256(), nullptr);
  std::string encoded =
      base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
  for (char& c : encoded) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  while (!encoded.empty() && encoded.back() == '=')
    encoded.pop_back();
  return encoded;
}

std::string format_utc(std::time_t when) {
  std::tm parts{};
  ::gmtime_r(&when, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

std::optional<std::time_t> parse_zoom_time(std::string_view text, const std::string& timezone) {
  const bool utc = text.size() == 20 && text.back() == 'Z';
  if (!(text.size() == 19 || utc))
    return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!parse_digits(text, 0, 4, year) || !parse_digits(text, 5, 2, month) ||
      !parse_digits(text, 8, 2, day) || !parse_digits(text, 11, 2, hour) ||
      !parse_digits(text, 14, 2, minute) || !parse_digits(text, 17, 2, second))
    return std::nullopt;
  if (!days_in_month_ok(year, month, day) || hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  if (utc)
    return ::timegm(&parts);
  if (!is_known_timezone(timezone))
    return std::nullopt;
  ScopedTimezone zone(timezone);
  parts.tm_isdst = -1; // let the zone's rules decide
  return std::mktime(&parts);
}

bool is_known_timezone(const std::string& timezone) {
  if (timezone == "UTC" || timezone == "GMT")
    return true;
  if (timezone.empty() || timezone.find("..") != std::string::npos || timezone.front() == '/')
    return false;
  std::error_code error;
  return std::filesystem::is_regular_file("/usr/share/zoneinfo/" + timezone, error);
}

std::time_t next_utc_midnight(std::time_t now) {
  constexpr std::time_t day = 24 * 60 * 60;
  return (now / day + 1) * day;
}

} // namespace sluice::zoom_emulator
