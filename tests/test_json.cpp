// Tests for JSON reading and writing of sluice::Value (sdk/src/json.cpp): parse_json,
// to_json, and a property test that random values survive a round trip byte for byte.

#include "support/numbered.hpp"
#include "support/value_helpers.hpp"

#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

using namespace sluice;
using namespace test_support;

// ---------------------------------------------------------------------------------------
// JSON parsing

TEST_CASE("parse_json: scalars and structure") {
  CHECK(Value::parse_json("null").is_null());
  CHECK(Value::parse_json("true").as_bool());
  CHECK_FALSE(Value::parse_json(" false ").as_bool());
  CHECK(Value::parse_json("42").as_int() == 42);
  CHECK(Value::parse_json("-0").is_int());
  CHECK(Value::parse_json("1.0").is_double());
  CHECK(Value::parse_json("1e2").is_double());
  CHECK(Value::parse_json("1e2").as_double() == 100.0);
  CHECK(Value::parse_json("\"hi\"").as_string() == "hi");
  CHECK(std::signbit(Value::parse_json("-0.0").as_double()));

  Value v = Value::parse_json(R"({"id": 85746065432, "topic": "Standup", "tags": ["a", 1.5],
                                  "nested": {"x": null}})");
  CHECK(v["id"].as_int() == 85746065432);
  CHECK(v["topic"].as_string() == "Standup");
  CHECK(v["tags"][1].as_double() == 1.5);
  CHECK(v["nested"]["x"].is_null());
  auto m = v.as_object();
  REQUIRE(m.size() == 4);
  CHECK(m[0].first == "id"); // document order kept
  CHECK(m[3].first == "nested");
}

TEST_CASE("parse_json: int64 extremes and precision") {
  CHECK(Value::parse_json("9223372036854775807").as_int() == kMax);
  CHECK(Value::parse_json("-9223372036854775808").as_int() == kMin);
  Value p = Value::parse_json("9007199254740993"); // 2^53 + 1
  CHECK(p.is_int());
  CHECK(p.as_int() == 9007199254740993);
  CHECK(p.to_json() == "9007199254740993");
  CHECK(Value(kMin).to_json() == "-9223372036854775808");
  CHECK(Value(kMax).to_json() == "9223372036854775807");
}

TEST_CASE("parse_json: numbers that do not fit") {
  const std::string too_large =
      message_of<JsonError>([] { (void)Value::parse_json("{\"id\": 18446744073709551615}"); });
  CHECK(too_large ==
        "invalid JSON at byte 7: integer 18446744073709551615 is too large: integers are kept "
        "as int64 (-9223372036854775808 to 9223372036854775807); send it as a string to keep "
        "it exact");
  try {
    (void)Value::parse_json("[1, 9223372036854775808]");
    FAIL("no exception");
  } catch (const JsonError& e) {
    CHECK(e.offset() == 4);
    CHECK(std::string(e.what()).find("9223372036854775808 is too large") != std::string::npos);
  }
  CHECK(message_of<JsonError>([] {
          (void)Value::parse_json("-9223372036854775809");
        }).find("integer -9223372036854775809 is too large") != std::string::npos);
  CHECK(message_of<JsonError>([] {
          (void)Value::parse_json("[123456789012345678901234567890]");
        }).find("integer 123456789012345678901234567890 is too large") != std::string::npos);

  CHECK(message_of<JsonError>([] { (void)Value::parse_json("[\"1e999\", 1e400]"); }) ==
        "invalid JSON at byte 10: number 1e400 is out of range for a 64-bit double (at most "
        "about 1.8e308)");
  CHECK(message_of<JsonError>([] {
          (void)Value::parse_json("-1e400");
        }).find("number -1e400 is out of range") != std::string::npos);
  // Underflow is not an error: it reads as zero.
  CHECK(Value::parse_json("1.5e-400").as_double() == 0.0);
  CHECK(Value::parse_json("1.7976931348623157e308").as_double() ==
        std::numeric_limits<double>::max());
  CHECK(Value::parse_json("5e-324").as_double() == std::numeric_limits<double>::denorm_min());
}

TEST_CASE("parse_json: invalid input") {
  SUBCASE("bad UTF-8") {
    try {
      (void)Value::parse_json("\"\xff\"");
      FAIL("no exception");
    } catch (const JsonError& e) {
      CHECK(std::string(e.what()) == "invalid JSON at byte 1: invalid UTF-8");
      CHECK(e.offset() == 1);
    }
    CHECK_THROWS_WITH(Value::parse_json("[\"ok\", \"\xc3\x28\"]"),
                      "invalid JSON at byte 8: invalid UTF-8");
    CHECK_THROWS_AS(Value::parse_json("\"\xed\xa0\x80\""), JsonError); // surrogate
    CHECK_THROWS_AS(Value::parse_json("\"\xc0\xaf\""), JsonError);     // overlong
  }
  SUBCASE("duplicate keys") {
    CHECK_THROWS_WITH(Value::parse_json(R"({"a": 1, "b": 2, "a": 3})"),
                      "invalid JSON: duplicate key \"a\" in an object");
    CHECK_THROWS_WITH(Value::parse_json(R"([{"x": {"k\n": 1, "k\n": 2}}])"),
                      "invalid JSON: duplicate key \"k\\n\" in an object");
    std::string big = "{";
    for (int i = 0; i < 40; ++i) {
      big += numbered("\"k", i);
      big += numbered("\": ", i);
      big += ',';
    }
    big += "\"k17\": 0}";
    CHECK_THROWS_WITH(Value::parse_json(big), "invalid JSON: duplicate key \"k17\" in an object");
  }
  SUBCASE("empty") {
    CHECK_THROWS_WITH(Value::parse_json(""), "invalid JSON: empty input, expected a JSON value");
    CHECK_THROWS_WITH(Value::parse_json(" \n\t"),
                      "invalid JSON: empty input, expected a JSON value");
    CHECK(message_of<JsonError>([] { (void)Value::parse_json(""); }) != "<no exception>");
  }
  SUBCASE("syntax") {
    const std::string structure =
        "invalid JSON: bad structure: a missing or extra comma, colon, bracket or brace, a "
        "missing key, or content after the end of the document";
    CHECK_THROWS_WITH(Value::parse_json("{\"a\":1,}"), structure.c_str());
    CHECK_THROWS_WITH(Value::parse_json("[1, 2"), structure.c_str());
    CHECK_THROWS_WITH(Value::parse_json("[1] 2"), structure.c_str()); // trailing content
    CHECK_THROWS_WITH(Value::parse_json("{\"a\" 1}"), structure.c_str());
    CHECK_THROWS_WITH(Value::parse_json("tru"),
                      "invalid JSON: unknown literal starting with 't' (expected true)");
    CHECK_THROWS_WITH(Value::parse_json("\"abc"),
                      "invalid JSON: a string is not closed (missing '\"')");
    CHECK_THROWS_WITH(Value::parse_json("\"a\x01\""),
                      "invalid JSON: control character inside a string (must be escaped, e.g. "
                      "\\n)");
    CHECK_THROWS_WITH(Value::parse_json(R"("\x")"),
                      "invalid JSON: bad escape sequence in a string");
    CHECK_THROWS_AS(Value::parse_json("01"), JsonError);
    CHECK_THROWS_AS(Value::parse_json("[1,,2]"), JsonError);
    CHECK_THROWS_AS(Value::parse_json("{a:1}"), JsonError);
    CHECK_THROWS_AS(Value::parse_json("NaN"), JsonError);
  }
  SUBCASE("nesting depth") {
    std::string ok = std::string(1000, '[') + std::string(1000, ']');
    CHECK(Value::parse_json(ok).is_array());
    std::string deep = std::string(2000, '[') + std::string(2000, ']');
    CHECK_THROWS_WITH(Value::parse_json(deep),
                      "invalid JSON: arrays/objects nested deeper than 1024 levels");
  }
  SUBCASE("a failed parse does not disturb the next one") {
    CHECK_THROWS_AS(Value::parse_json("[1,"), JsonError);
    CHECK(Value::parse_json("[1]") == arr({1}));
  }
}

TEST_CASE("parse_json: strings and escapes") {
  CHECK(Value::parse_json(R"("a\"b\\c\/d\n\t\r\b\f")").as_string() == "a\"b\\c/d\n\t\r\b\f");
  CHECK(Value::parse_json(R"("\u0000x")").as_string() == std::string("\0x", 2));
  CHECK(Value::parse_json(R"("\u00e9\u20ac")").as_string() == "é€");
  CHECK(Value::parse_json(R"("\ud83d\ude00")").as_string() == "\xF0\x9F\x98\x80");
  CHECK(Value::parse_json("\"日本語 😀\"").as_string() == "日本語 😀");
  Value k = Value::parse_json(R"({"a\u0000b": 1})");
  CHECK(k.find(std::string_view("a\0b", 3)) != nullptr);
}

// ---------------------------------------------------------------------------------------
// JSON writing

TEST_CASE("to_json: compact and pretty") {
  Value v = Value::parse_json(R"({"a": [1, 2.5, {"b": null}], "c": {}, "d": [], "e": "x"})");
  CHECK(v.to_json() == R"({"a":[1,2.5,{"b":null}],"c":{},"d":[],"e":"x"})");
  CHECK(v.to_json(true) == "{\n"
                           "  \"a\": [\n"
                           "    1,\n"
                           "    2.5,\n"
                           "    {\n"
                           "      \"b\": null\n"
                           "    }\n"
                           "  ],\n"
                           "  \"c\": {},\n"
                           "  \"d\": [],\n"
                           "  \"e\": \"x\"\n"
                           "}");
  CHECK(Value().to_json() == "null");
  CHECK(Value(true).to_json(true) == "true");
  CHECK(Value(false).to_json() == "false");
  CHECK(Value(-7).to_json() == "-7");
  CHECK(Value(Array{}).to_json(true) == "[]");
  CHECK(arr({1}).to_json(true) == "[\n  1\n]");
}

TEST_CASE("to_json: doubles") {
  CHECK(Value(1.0).to_json() == "1.0");
  CHECK(Value(-2.0).to_json() == "-2.0");
  CHECK(Value(0.0).to_json() == "0.0");
  CHECK(Value(-0.0).to_json() == "-0.0");
  CHECK(Value(0.1).to_json() == "0.1");
  CHECK(Value(1.5).to_json() == "1.5");
  CHECK(Value(1e300).to_json() == "1e+300");
  CHECK(Value(1e21).to_json() == "1e+21");
  CHECK(Value(1e-7).to_json() == "1e-07");
  CHECK(Value(123456789.0).to_json() == "123456789.0");
  CHECK(Value(5e-324).to_json() == "5e-324");
  CHECK(Value(std::numeric_limits<double>::quiet_NaN()).to_json() == "null");
  CHECK(Value(std::numeric_limits<double>::infinity()).to_json() == "null");
  CHECK(Value(-std::numeric_limits<double>::infinity()).to_json() == "null");
  CHECK(Value::parse_json(Value(1.0).to_json()).is_double());
  CHECK(Value::parse_json(Value(1e21).to_json()).is_double());
  CHECK(Value::parse_json(Value(0.1).to_json()).as_double() == 0.1);
}

TEST_CASE("to_json: string escaping") {
  CHECK(Value("a\"b\\c").to_json() == R"("a\"b\\c")");
  CHECK(Value("\n\r\t\b\f").to_json() == R"("\n\r\t\b\f")");
  CHECK(Value(std::string("\x01\x1f\0", 3)).to_json() == R"("\u0001\u001f\u0000")");
  CHECK(Value("\x7f").to_json() == "\"\x7f\"");
  CHECK(Value("/").to_json() == "\"/\"");
  CHECK(Value("日本語 😀 é").to_json() == "\"日本語 😀 é\""); // valid UTF-8 kept as is
  // Invalid UTF-8 (possible in a Value built in C++) becomes U+FFFD so the output parses.
  CHECK(Value("a\xff"
              "b")
            .to_json() == R"("a\ufffdb")");
  CHECK(Value("\xe2\x82").to_json() == R"("\ufffd\ufffd")");           // truncated sequence
  CHECK(Value("\xed\xa0\x80").to_json() == R"("\ufffd\ufffd\ufffd")"); // surrogate
  CHECK(Value::parse_json(Value("x\xc0\xaf").to_json()).as_string() == "x\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(obj({{"k\"ey\n", 1}}).to_json() == R"({"k\"ey\n":1})");
}

TEST_CASE("to_json: each byte that needs escaping is found wherever it sits in a long string") {
  // Strings are scanned eight bytes at a time: every position in and around a block, every
  // byte value that needs care, and the bytes next to the boundaries of what is plain.
  const std::string plain = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
  for (std::size_t at = 0; at < plain.size(); ++at) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string text = plain;
      text[at] = static_cast<char>(byte);
      const std::string json = Value(text).to_json();
      CAPTURE(at);
      CAPTURE(byte);
      const std::string back(Value::parse_json(json).as_string());
      if (byte < 0x80) {
        CHECK(back == text); // escaped or not, it reads back as it was
        // Copied (1 byte), a two-character escape (2) or a six-character one (6).
        const std::string_view short_escapes = "\"\\\n\r\t\b\f";
        const bool is_short =
            byte != 0 && short_escapes.find(static_cast<char>(byte)) != std::string_view::npos;
        const std::size_t written = byte >= 0x20 && !is_short ? 1 : is_short ? 2 : 6;
        CHECK(json.size() == text.size() - 1 + written + 2);
      } else {
        // A lone byte of 0x80 or more is never valid UTF-8: it reads back as U+FFFD.
        std::string expected = text;
        expected.replace(at, 1, "\xEF\xBF\xBD");
        CHECK(back == expected);
      }
    }
  }
  // Plain ASCII of every length up to three blocks, and a valid multi-byte character at
  // every position, are copied as they are.
  for (std::size_t length = 0; length <= 24; ++length) {
    const std::string text = plain.substr(0, length);
    CHECK(Value(text).to_json() == "\"" + text + "\"");
    for (std::size_t at = 0; at <= length; ++at) {
      const std::string with = text.substr(0, at) + "é" + text.substr(at);
      CHECK(Value(with).to_json() == "\"" + with + "\"");
    }
  }
}

// ---------------------------------------------------------------------------------------
// Property-style round trips (RandomValues: support/value_helpers.hpp)

TEST_CASE("property: JSON round trip of random values") {
  for (std::uint64_t seed : {1u, 2u, 3u, 42u}) {
    CAPTURE(seed);
    RandomValues gen(seed);
    for (int i = 0; i < 1000; ++i) {
      const Value v = gen.value();
      const std::string compact = v.to_json();
      const std::string pretty = v.to_json(true);
      CAPTURE(compact);
      const Value from_compact = Value::parse_json(compact);
      const Value from_pretty = Value::parse_json(pretty);
      REQUIRE(from_compact == v);
      REQUIRE(from_pretty == v);
      // Byte-identical: types (integer vs number), the sign of zero and key order survive.
      REQUIRE(from_compact.to_json() == compact);
      REQUIRE(from_pretty.to_json(true) == pretty);
      REQUIRE(from_pretty.to_json() == compact);
    }
  }
}
