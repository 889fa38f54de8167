// Tests for sluice::Path (sdk/src/path.cpp): parsing, printing and parse errors. Looking a
// Path up in a Value is Value::find, tested in test_value.cpp.

#include "support/value_helpers.hpp"

#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
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
