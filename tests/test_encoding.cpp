// sluice/encoding.hpp: hexadecimal digits, percent-encoding and printable text.

#include <sluice/encoding.hpp>

#include <doctest/doctest.h>

#include <cctype>
#include <string>
#include <string_view>

using sluice::hex_digit_value;
using sluice::percent_decode;
using sluice::percent_encode;
using sluice::printable;

TEST_CASE("hex_digit_value: every digit of both cases, and nothing else") {
  const std::string digits = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    CHECK(hex_digit_value(digits[i]) == i);
    CHECK(hex_digit_value(static_cast<char>(std::toupper(digits[i]))) == i);
  }
  int accepted = 0;
  for (int c = 0; c < 256; ++c)
    accepted += hex_digit_value(static_cast<char>(c)) >= 0 ? 1 : 0;
  CHECK(accepted == 22);
  CHECK(hex_digit_value('g') == -1);
  CHECK(hex_digit_value('/') == -1);
  CHECK(hex_digit_value(':') == -1);
  CHECK(hex_digit_value('@') == -1);
  CHECK(hex_digit_value('`') == -1);
}

TEST_CASE("percent_encode keeps RFC 3986's unreserved characters only") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("a b/c?d=e&f+g") == "a%20b%2Fc%3Fd%3De%26f%2Bg");
  CHECK(percent_encode("#h%") == "%23h%25");
  CHECK(percent_encode(std::string_view("\xFF", 1)) == "%FF");
  CHECK(percent_encode("\xC3\xA9") == "%C3%A9"); // é in UTF-8, byte by byte
  CHECK(percent_encode(std::string("\0\x7F", 2)) == "%00%7F");
  CHECK(percent_encode("") == "");
}

TEST_CASE("percent_decode undoes percent_encode for every byte") {
  std::string all;
  for (int c = 0; c < 256; ++c)
    all += static_cast<char>(c);
  CHECK(percent_decode(percent_encode(all)) == all);
  CHECK(percent_decode(percent_encode(all), true) == all); // '+' is always encoded
}

TEST_CASE("percent_decode: '+' only in forms, malformed escapes kept as written") {
  CHECK(percent_decode("a+b%20c") == "a+b c");
  CHECK(percent_decode("a+b%20c", true) == "a b c");
  CHECK(percent_decode("%41%4a%4A") == "AJJ");
  CHECK(percent_decode("100%") == "100%");
  CHECK(percent_decode("%4") == "%4");
  CHECK(percent_decode("%zz%4g") == "%zz%4g");
  CHECK(percent_decode("%%41") == "%A");
}

TEST_CASE("printable escapes control bytes, invalid UTF-8 and C1 controls, and nothing else") {
  CHECK(printable("plain text, with \\ and 'quotes'") == "plain text, with \\ and 'quotes'");
  CHECK(printable("a\nb\rc\td") == R"(a\nb\rc\td)");
  CHECK(printable("\x1b[2J") == R"(\x1b[2J)");
  CHECK(printable(std::string_view("nul\0end", 7)) == R"(nul\x00end)");
  CHECK(printable("\x7f") == R"(\x7f)");
  // Valid UTF-8 passes: a name in another script reads as written.
  CHECK(printable("Zoë 東京 🚀") == "Zoë 東京 🚀");
  // U+009B (CSI in some terminals), encoded as UTF-8, is escaped byte by byte.
  CHECK(printable("\xc2\x9b"
                  "31m") == R"(\xc2\x9b31m)");
  CHECK(printable("\xc2\xa0") == "\xc2\xa0"); // U+00A0 is printable
  // Invalid: a stray continuation, a cut-short sequence, an overlong form, a surrogate.
  CHECK(printable("\x80") == R"(\x80)");
  CHECK(printable("\xe6\x9d") == R"(\xe6\x9d)");
  CHECK(printable("\xc0\xaf") == R"(\xc0\xaf)");
  CHECK(printable("\xed\xa0\x80") == R"(\xed\xa0\x80)");
  CHECK(printable("\xf4\x90\x80\x80") == R"(\xf4\x90\x80\x80)");
  // Every single byte comes out as something without a control byte in it.
  for (int b = 0; b < 256; ++b) {
    const std::string out = printable(std::string(1, static_cast<char>(b)));
    for (const char c : out)
      CHECK((static_cast<unsigned char>(c) >= 0x20 && c != 0x7f));
  }
}

TEST_CASE("markup_escape: the five special characters of HTML and XML, nothing else") {
  CHECK(sluice::markup_escape(R"(<a href="x">Tom & Jerry's</a>)") ==
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  CHECK(sluice::markup_escape("plain text, ümlauts\n") == "plain text, ümlauts\n");
  CHECK(sluice::markup_escape("").empty());
}
