// Tests for sluice::Path (sdk/src/path.cpp): parsing, printing and parse errors. Looking a
// Path up in a Value is Value::find, tested in test_value.cpp.

#include "support/value_helpers.hpp"

#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using namespace sluice;
using namespace test_support;
using namespace std::string_literals;

// ---------------------------------------------------------------------------------------
// Paths

TEST_CASE("Path::parse and to_string") {
  auto segs = [](std::string_view text) {
    Path p = Path::parse(text);
    return std::vector<Path::Segment>(p.segments().begin(), p.segments().end());
  };
  using S = std::vector<Path::Segment>;
  CHECK(Path::parse("").empty());
  CHECK(segs("a") == S{"a"s});
  CHECK(segs("a.b[2].c") == S{"a"s, "b"s, std::size_t{2}, "c"s});
  CHECK(segs("items[0]") == S{"items"s, std::size_t{0}});
  CHECK(segs("[\"key with.dot\"]") == S{"key with.dot"s});
  CHECK(segs("['x']") == S{"x"s});
  CHECK(segs("[3][4]") == S{std::size_t{3}, std::size_t{4}});
  CHECK(segs("_a-b.C9") == S{"_a-b"s, "C9"s});
  CHECK(segs(R"(["a\"b\\c"])") == S{"a\"b\\c"s});
  CHECK(segs(R"(['it\'s'])") == S{"it's"s});
  CHECK(segs("[\"\"]") == S{""s});

  CHECK(Path::parse("a.b[2].c").to_string() == "a.b[2].c");
  CHECK(Path::parse("['x'].y").to_string() == "x.y");
  CHECK(Path::parse("[\"key with.dot\"][0]").to_string() == "[\"key with.dot\"][0]");
  CHECK(Path::parse("a[\"9lives\"]").to_string() == "a[\"9lives\"]");
  CHECK(Path::parse(R"(['say "hi"\\'])").to_string() == R"(["say \"hi\"\\"])");
  CHECK(Path::parse("[0].a").to_string() == "[0].a");
  CHECK(Path().to_string() == "");
  Path built;
  built.push_back("x y"s);
  built.push_back(std::size_t{7});
  built.push_back("z"s);
  CHECK(built.to_string() == "[\"x y\"][7].z");
  CHECK(Path::parse(built.to_string()).to_string() == built.to_string());
}

TEST_CASE("Path::parse errors name the problem and the offset") {
  auto error = [](std::string_view text) {
    return message_of<std::invalid_argument>([&] { (void)Path::parse(text); });
  };
  CHECK(error("a..b") ==
        "invalid path \"a..b\": unexpected '.' at offset 2, expected a name after '.'");
  CHECK(error("a.") ==
        "invalid path \"a.\": unexpected end of path at offset 2, expected a name after '.'");
  CHECK(error(".a") == "invalid path \".a\": unexpected '.' at offset 0, expected a name or '['");
  CHECK(error("a[") == "invalid path \"a[\": unexpected end of path at offset 2, expected an "
                       "index or a quoted key after '['");
  CHECK(error("a[1") == "invalid path \"a[1\": unexpected end of path at offset 3, expected ']'");
  CHECK(error("a[-1]") == "invalid path \"a[-1]\": unexpected '-' at offset 2, expected an index "
                          "or a quoted key after '['");
  CHECK(error("a b") == "invalid path \"a b\": unexpected ' ' at offset 1, expected '.' or '['");
  CHECK(error("[\"x]") ==
        "invalid path \"[\"x]\": unexpected end of path at offset 4, expected a closing \"");
  CHECK(error("9a") == "invalid path \"9a\": unexpected '9' at offset 0, expected a name or '['");
  CHECK(error("a[x]").find("offset 2") != std::string::npos);
  CHECK(error("a[99999999999999999999999]").find("index too large") != std::string::npos);
  CHECK(error("a\x01").find("byte 0x01 at offset 1") != std::string::npos);
  CHECK(error("['a'b]") == "invalid path \"['a'b]\": unexpected 'b' at offset 4, expected ']'");
}

TEST_CASE("Path::parse_segments reads a path's segments at the start of a longer text") {
  std::size_t length = 0;
  Path path = Path::parse_segments(".items[0][\"a b\"].id == 3", length);
  CHECK(path.to_string() == "items[0][\"a b\"].id");
  CHECK(length == std::string_view(".items[0][\"a b\"].id").size());

  path = Path::parse_segments(" && x", length); // no segment at all
  CHECK(path.empty());
  CHECK(length == 0);

  path = Path::parse_segments("[ 2 ][ 'k\\n' ]}}", length); // white space inside brackets
  REQUIRE(path.segments().size() == 2);
  CHECK(std::get<std::size_t>(path.segments()[0]) == 2);
  CHECK(std::get<std::string>(path.segments()[1]) == "k\n");
  CHECK(length == 14);
}

TEST_CASE("PathSyntaxError says what was expected and where") {
  auto error = [](std::string_view text) {
    try {
      std::size_t length = 0;
      (void)Path::parse_segments(text, length);
    } catch (const PathSyntaxError& e) {
      return std::string(e.expected()) + " @" + std::to_string(e.offset());
    }
    return std::string("no error");
  };
  CHECK(error(".") == "expected a name after '.' @1");
  CHECK(error("[x]") == "expected an index or a quoted key after '[' @1");
  CHECK(error("[0") == "expected ']' @2");
  CHECK(error("['a\\q']") == "expected \\\\, \\\", \\', \\n or \\t after a backslash @4");
  // Path::parse throws the same type, as the std::invalid_argument it always was.
  CHECK_THROWS_AS((void)Path::parse("a..b"), PathSyntaxError);
  CHECK_THROWS_AS((void)Path::parse("a..b"), std::invalid_argument);
}
