// Tests for sluice::Value, JSON, Path and the small SDK helpers (error.hpp, node.hpp).

#include <sluice/detail/borrowed_array.hpp>
#include <sluice/error.hpp>
#include <sluice/node.hpp>
#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace sluice;
using namespace std::string_literals;

static_assert(sizeof(Value) == 16);

namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// The message of the exception `fn` throws as E, or "<no exception>".
template <class E, class F> std::string message_of(F&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

Value obj(std::initializer_list<std::pair<std::string, Value>> members) {
  return Value(Object(members));
}

Value arr(std::initializer_list<Value> elements) {
  return Value(Array(elements));
}

} // namespace

// ---------------------------------------------------------------------------------------
// Types and accessors

TEST_CASE("type names") {
  CHECK(to_string(ValueType::null) == "null");
  CHECK(to_string(ValueType::boolean) == "boolean");
  CHECK(to_string(ValueType::integer) == "integer");
  CHECK(to_string(ValueType::number) == "number");
  CHECK(to_string(ValueType::string) == "string");
  CHECK(to_string(ValueType::array) == "array");
  CHECK(to_string(ValueType::object) == "object");
}

TEST_CASE("scalars: type, predicates and accessors") {
  SUBCASE("null") {
    Value v;
    CHECK(v.type() == ValueType::null);
    CHECK(v.is_null());
    CHECK_FALSE(v.is_number());
    CHECK(Value(nullptr).is_null());
    CHECK(v.size() == 0);
  }
  SUBCASE("boolean") {
    CHECK(Value(true).is_bool());
    CHECK(Value(true).as_bool());
    CHECK_FALSE(Value(false).as_bool());
    CHECK(Value(false).type() == ValueType::boolean);
  }
  SUBCASE("integers of every width") {
    CHECK(Value(std::int8_t{-5}).as_int() == -5);
    CHECK(Value(std::uint16_t{65535}).as_int() == 65535);
    CHECK(Value(42).is_int());
    CHECK(Value(42).is_number());
    CHECK_FALSE(Value(42).is_double());
    CHECK(Value(42u).as_int() == 42);
    CHECK(Value(kMin).as_int() == kMin);
    CHECK(Value(kMax).as_int() == kMax);
    CHECK(Value(static_cast<std::uint64_t>(kMax)).as_int() == kMax);
    CHECK_THROWS_AS(Value(static_cast<std::uint64_t>(kMax) + 1), std::out_of_range);
    CHECK_THROWS_AS(Value(std::numeric_limits<std::uint64_t>::max()), std::out_of_range);
    CHECK(Value(42).as_double() == 42.0); // integers convert to double
  }
  SUBCASE("double") {
    Value v(2.5);
    CHECK(v.type() == ValueType::number);
    CHECK(v.is_double());
    CHECK(v.is_number());
    CHECK(v.as_double() == 2.5);
  }
  SUBCASE("string") {
    Value v("héllo");
    CHECK(v.is_string());
    CHECK(v.as_string() == "héllo");
    CHECK(v.size() == 6); // bytes
    CHECK(Value(std::string("abc")).as_string() == "abc");
    CHECK(Value(std::string_view("abc")).as_string() == "abc");
    std::string moved(100, 'x');
    CHECK(Value(std::move(moved)).size() == 100);
    CHECK(Value(std::string("a\0b", 3)).size() == 3);
  }
}

TEST_CASE("arrays and objects") {
  Value a = arr({1, "two", 3.0, Value(), arr({})});
  CHECK(a.is_array());
  CHECK(a.size() == 5);
  REQUIRE(a.as_array().size() == 5);
  CHECK(a.as_array()[1].as_string() == "two");
  CHECK(a[0].as_int() == 1);
  CHECK(a[std::size_t{4}].is_array());
  CHECK(a[5].is_null());   // out of range
  CHECK(a["x"].is_null()); // not an object
  CHECK(a.find("x") == nullptr);

  Value o = obj({{"b", 1}, {"a", "x"}, {"c", arr({true})}});
  CHECK(o.is_object());
  CHECK(o.size() == 3);
  auto members = o.as_object();
  REQUIRE(members.size() == 3);
  CHECK(members[0].first == "b"); // insertion order
  CHECK(members[1].first == "a");
  CHECK(members[2].first == "c");
  CHECK(o["a"].as_string() == "x");
  CHECK(o[std::string_view("b")].as_int() == 1);
  REQUIRE(o.find("c") != nullptr);
  CHECK(o.find("c")->size() == 1);
  CHECK(o.find("zz") == nullptr);
  CHECK(o["zz"].is_null());
  CHECK(&o["zz"] == &Value::null_value());
  CHECK(o[0].is_null()); // not an array
  CHECK(Value::null_value().is_null());
}

TEST_CASE("array_from moves the elements into one block") {
  Value shared = obj({{"x", 1}});
  std::vector<Value> elements{Value(1), Value("two"), shared, arr({3}), Value()};
  const Value a = Value::array_from(elements);
  CHECK(a.is_array());
  REQUIRE(a.size() == 5);
  CHECK(a == arr({1, "two", obj({{"x", 1}}), arr({3}), Value()}));
  CHECK(arr({1, "two", obj({{"x", 1}}), arr({3}), Value()}) == a);
  CHECK(a.as_array()[1].as_string() == "two");
  CHECK(a[std::size_t{3}][0].as_int() == 3);
  CHECK(a.find(Path::parse("[2].x"))->as_int() == 1);
  CHECK(a.to_json() == R"([1,"two",{"x":1},[3],null])");
  for (const Value& moved : elements)
    CHECK(moved.is_null()); // left null, as documented
  // The shared element is the same block, not a copy: dropping the array keeps it alive.
  CHECK(&a[std::size_t{2}]["x"] == &shared["x"]);

  CHECK(Value::array_from({}).size() == 0);
  CHECK(Value::array_from({}) == Value(Array{}));

  SUBCASE("outlives its copies, and copies outlive it") {
    Value copy;
    {
      std::vector<Value> more{Value("kept"), a};
      const Value b = Value::array_from(more);
      copy = b[std::size_t{1}];
    }
    CHECK(copy == a);
  }
  SUBCASE("nests deeply without recursion when destroyed") {
    Value v = Value::array_from({});
    for (int i = 0; i < 200000; ++i) {
      std::array<Value, 2> pair{std::move(v), Value(i)};
      v = Value::array_from(pair);
    }
    CHECK(v[1].as_int() == 199999);
  }
}

TEST_CASE("BorrowedArray: uncounted elements, counted once a copy outlives the borrow") {
  using sluice::detail::BorrowedArray;
  // Each source is the only owner of its block: a borrow that wrongly counted down would
  // free them early (ASan reports the later reads), one that counted up would leak them.
  auto source_a = std::make_unique<Value>(obj({{"x", 1}}));
  auto source_b = std::make_unique<Value>(arr({"b"}));
  const Value* pointers[] = {source_a.get(), nullptr, source_b.get()};

  SUBCASE("the only reference: freed without touching the elements") {
    Value borrowed = BorrowedArray::make(pointers);
    CHECK(borrowed == arr({obj({{"x", 1}}), Value(), arr({"b"})}));
    CHECK(&borrowed[std::size_t{0}]["x"] == &(*source_a)["x"]); // the same block, not a copy
    BorrowedArray::end(borrowed);
    CHECK(borrowed.is_null());
    CHECK((*source_a)["x"].as_int() == 1);
    CHECK((*source_b)[0].as_string() == "b");
  }
  SUBCASE("a copy kept: the elements are counted and outlive their sources") {
    Value borrowed = BorrowedArray::make(pointers);
    Value kept = borrowed;
    Value element = borrowed[std::size_t{2}]; // counted like any copy
    BorrowedArray::end(borrowed);
    CHECK(borrowed.is_null());
    source_a.reset();
    source_b.reset();
    CHECK(kept == arr({obj({{"x", 1}}), Value(), arr({"b"})}));
    CHECK(element == arr({"b"}));
    kept = Value(); // frees the elements it now owns
    CHECK(element[0].as_string() == "b");
  }
  SUBCASE("a copy kept by another thread") {
    Value borrowed = BorrowedArray::make(pointers);
    Value handed = borrowed;
    std::thread reader([kept = std::move(handed)]() mutable {
      for (int i = 0; i < 1000; ++i)
        REQUIRE(kept[std::size_t{0}]["x"].as_int() == 1);
    });
    BorrowedArray::end(borrowed);
    reader.join();
    CHECK((*source_a)["x"].as_int() == 1);
  }
  SUBCASE("ordinary values are released") {
    Value plain = arr({1, 2});
    Value copy = plain;
    BorrowedArray::end(plain);
    CHECK(plain.is_null());
    CHECK(copy == arr({1, 2}));
    Value text("text");
    BorrowedArray::end(text);
    CHECK(text.is_null());
  }
}

TEST_CASE("objects small and large: lookup, order and equality") {
  // Up to 12 members an object is one block searched in order; above, it keeps a sorted
  // index. Both must behave the same.
  for (std::size_t n : {std::size_t{1}, std::size_t{12}, std::size_t{13}, std::size_t{200}}) {
    CAPTURE(n);
    Object members, reversed;
    for (std::size_t i = 0; i < n; ++i)
      members.emplace_back("key-" + std::to_string(i), Value(static_cast<std::int64_t>(i)));
    for (std::size_t i = n; i-- > 0;)
      reversed.emplace_back("key-" + std::to_string(i), Value(static_cast<std::int64_t>(i)));
    const Value object(members);
    const Value other(reversed);
    REQUIRE(object.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string key = "key-" + std::to_string(i);
      REQUIRE(object.find(key) != nullptr);
      CHECK(object.find(key)->as_int() == static_cast<std::int64_t>(i));
      CHECK(object.as_object()[i].first == key); // insertion order kept
    }
    CHECK(object.find("key-") == nullptr);
    CHECK(object.find("key-" + std::to_string(n)) == nullptr);
    CHECK(object == other); // member order does not matter
    Object changed = members;
    changed.back().second = Value("different");
    CHECK_FALSE(object == Value(changed));
    CHECK(Value::parse_json(object.to_json()) == object);
  }
}

TEST_CASE("object constructor: duplicate keys keep the first position and the last value") {
  Value o = obj({{"a", 1}, {"b", 2}, {"a", 3}, {"c", 4}, {"b", 5}});
  auto m = o.as_object();
  REQUIRE(m.size() == 3);
  CHECK(m[0].first == "a");
  CHECK(m[0].second.as_int() == 3);
  CHECK(m[1].first == "b");
  CHECK(m[1].second.as_int() == 5);
  CHECK(m[2].first == "c");

  SUBCASE("large objects (indexed lookup)") {
    Object members;
    for (int i = 0; i < 100; ++i)
      members.emplace_back("k" + std::to_string(99 - i), i);
    members.emplace_back("k50", -1); // duplicate of the member at position 49
    members.emplace_back("k99", -2); // duplicate of position 0
    Value big(std::move(members));
    auto bm = big.as_object();
    REQUIRE(bm.size() == 100);
    CHECK(bm[0].first == "k99");
    CHECK(bm[0].second.as_int() == -2);
    CHECK(bm[49].first == "k50");
    CHECK(bm[49].second.as_int() == -1);
    CHECK(bm[99].first == "k0");
    for (int i = 0; i < 100; ++i) {
      const Value* v = big.find("k" + std::to_string(i));
      REQUIRE(v != nullptr);
      if (i != 50 && i != 99)
        CHECK(v->as_int() == 99 - i);
    }
    CHECK(big.find("k100") == nullptr);
    CHECK(big.find("") == nullptr);
  }
}

TEST_CASE("TypeError messages") {
  CHECK(message_of<TypeError>([] { (void)Value("s").as_int(); }) == "expected integer, got string");
  CHECK(message_of<TypeError>([] { (void)Value(1).as_string(); }) ==
        "expected string, got integer");
  CHECK(message_of<TypeError>([] { (void)Value().as_bool(); }) == "expected boolean, got null");
  CHECK(message_of<TypeError>([] { (void)Value(true).as_double(); }) ==
        "expected number, got boolean");
  CHECK(message_of<TypeError>([] { (void)Value(1.5).as_int(); }) == "expected integer, got number");
  CHECK(message_of<TypeError>([] { (void)Value(Object{}).as_array(); }) ==
        "expected array, got object");
  CHECK(message_of<TypeError>([] { (void)Value(Array{}).as_object(); }) ==
        "expected object, got array");
  CHECK(message_of<TypeError>([] { (void)Value(0).as_bool(); }) == "expected boolean, got integer");
}

TEST_CASE("truthy") {
  CHECK_FALSE(Value().truthy());
  CHECK_FALSE(Value(false).truthy());
  CHECK_FALSE(Value(0).truthy());
  CHECK_FALSE(Value(0.0).truthy());
  CHECK_FALSE(Value(-0.0).truthy());
  CHECK_FALSE(Value("").truthy());
  CHECK_FALSE(Value(Array{}).truthy());
  CHECK_FALSE(Value(Object{}).truthy());
  CHECK(Value(true).truthy());
  CHECK(Value(-1).truthy());
  CHECK(Value(0.5).truthy());
  CHECK(Value("0").truthy());
  CHECK(arr({Value()}).truthy());
  CHECK(obj({{"a", Value()}}).truthy());
}

TEST_CASE("copy, move and assignment") {
  Value a = arr({"x", obj({{"k", 1}})});
  Value b = a; // shares
  CHECK(b == a);
  CHECK(b.as_array().data() == a.as_array().data());

  Value c = std::move(b);
  CHECK(b.is_null()); // NOLINT: moved-from is null by contract of this implementation
  CHECK(c == a);

  Value d;
  d = c;
  CHECK(d == a);
  d = d; // self copy-assignment
  CHECK(d == a);
  d = std::move(d); // self move-assignment
  CHECK(d == a);

  // Assigning a part of a value to the value itself must not free the part first.
  Value e = obj({{"child", obj({{"grandchild", "deep"}})}});
  e = e["child"];
  CHECK(e["grandchild"].as_string() == "deep");
  Value f = arr({arr({arr({"inner"})})});
  f = f[0];
  f = f[0];
  CHECK(f[0].as_string() == "inner");

  Value s = "text";
  s = 5;
  CHECK(s.as_int() == 5);
  s = "again";
  CHECK(s.as_string() == "again");
}

// ---------------------------------------------------------------------------------------
// Equality

TEST_CASE("equality") {
  CHECK(Value() == Value());
  CHECK(Value(1) == Value(1.0));
  CHECK(Value(1.0) == Value(1));
  CHECK(Value(-3) == Value(-3.0));
  CHECK(Value(1) != Value(1.5));
  CHECK(Value(true) != Value(1));
  CHECK(Value() != Value(false));
  CHECK(Value("1") != Value(1));
  CHECK(Value("a") == Value("a"));
  CHECK(Value("a") != Value("b"));
  CHECK(Value(0.0) == Value(-0.0));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(Value(nan) != Value(nan)); // IEEE semantics

  // Exact: 2^53 + 1 is not representable as a double and must not equal 2^53.
  const std::int64_t p53 = std::int64_t{1} << 53;
  CHECK(Value(p53) == Value(static_cast<double>(p53)));
  CHECK(Value(p53 + 1) != Value(static_cast<double>(p53)));
  CHECK(Value(kMax) != Value(9223372036854775808.0)); // the double is 2^63, out of range
  CHECK(Value(kMin) == Value(-9223372036854775808.0));
  CHECK(Value(kMin) != Value(-std::numeric_limits<double>::infinity()));
  CHECK(Value(0) != Value(nan));

  // Arrays are ordered; objects are not.
  CHECK(arr({1, 2}) == arr({1.0, 2}));
  CHECK(arr({1, 2}) != arr({2, 1}));
  CHECK(arr({1, 2}) != arr({1, 2, 3}));
  CHECK(obj({{"a", 1}, {"b", arr({"x"})}}) == obj({{"b", arr({"x"})}, {"a", 1.0}}));
  CHECK(obj({{"a", 1}}) != obj({{"b", 1}}));
  CHECK(obj({{"a", 1}}) != obj({{"a", 1}, {"b", 2}}));
  CHECK(obj({{"a", 1}}) != obj({{"a", 2}}));
  CHECK(obj({}) != arr({}));
  CHECK(Value(Object{}) == Value(Object{}));

  // Large (indexed) objects in different orders.
  Object forward, backward;
  for (int i = 0; i < 50; ++i)
    forward.emplace_back("m" + std::to_string(i), i);
  for (int i = 49; i >= 0; --i)
    backward.emplace_back("m" + std::to_string(i), i);
  Value f(forward), b(backward);
  CHECK(f == b);
  backward[3].second = -1;
  CHECK(f != Value(backward));
}

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
    for (int i = 0; i < 40; ++i)
      big += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ",";
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

TEST_CASE("to_text") {
  CHECK(Value().to_text() == "");
  CHECK(Value("plain \"text\"").to_text() == "plain \"text\"");
  CHECK(Value(12).to_text() == "12");
  CHECK(Value(2.0).to_text() == "2.0");
  CHECK(Value(true).to_text() == "true");
  CHECK(arr({1, "a"}).to_text() == R"([1,"a"])");
  CHECK(obj({{"k", Value()}}).to_text() == R"({"k":null})");
}

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

TEST_CASE("path lookup: find(Path) and at()") {
  Value v = Value::parse_json(
      R"({"a": {"b": [10, {"c": "deep"}]}, "items": [1, 2], "key with.dot": true})");
  CHECK(v.at("a.b[1].c").as_string() == "deep");
  CHECK(v.at("items[1]").as_int() == 2);
  CHECK(v.at("[\"key with.dot\"]").as_bool());
  CHECK(v.at("") == v);
  CHECK(v.at("a.b[5]").is_null());     // index out of range
  CHECK(v.at("a.x").is_null());        // missing key
  CHECK(v.at("items.x").is_null());    // key on an array
  CHECK(v.at("a[0]").is_null());       // index on an object
  CHECK(v.at("items[0].y").is_null()); // key on an integer
  CHECK_THROWS_AS((void)v.at("a..b"), std::invalid_argument);

  const Path p = Path::parse("a.b[0]");
  const Value* found = v.find(p);
  REQUIRE(found != nullptr);
  CHECK(found->as_int() == 10);
  CHECK(found == &v["a"]["b"][0]); // points into the value, no copy
  CHECK(v.find(Path::parse("a.b[2]")) == nullptr);
  CHECK(v.find(Path()) == &v);
  CHECK(Value(3).find(Path::parse("x")) == nullptr);
}

// ---------------------------------------------------------------------------------------
// Sharing and deep values

TEST_CASE("copies shared across threads") {
  auto shared = std::make_unique<Value>(Value::parse_json(
      R"({"list": [1, 2, 3, {"s": "a string long enough to live on the heap"}], "n": 5})"));
  constexpr int kThreads = 4;
  constexpr int kIterations = 100000;
  std::atomic<long> total{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  {
    // Each thread starts from its own copy; the original is dropped while they run so that
    // the last reference usually dies on a worker thread.
    std::vector<Value> seeds(kThreads, *shared);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&total, &ready, seed = std::move(seeds[t])] {
        ready.fetch_add(1);
        long sum = 0;
        for (int i = 0; i < kIterations; ++i) {
          Value copy = seed;
          Value list = copy["list"];
          Value moved = std::move(list);
          sum += static_cast<long>(moved.size() + moved[3]["s"].as_string().size());
        }
        total.fetch_add(sum);
      });
    }
  }
  while (ready.load() < kThreads)
    std::this_thread::yield();
  Value keep = (*shared)["list"][3];
  shared.reset();
  for (auto& t : threads)
    t.join();
  CHECK(total.load() == long{kThreads} * kIterations * (4 + 40));
  CHECK(keep["s"].as_string() == "a string long enough to live on the heap");
}

TEST_CASE("deeply nested values are destroyed without recursion") {
  constexpr int kDepth = 1000000;
  SUBCASE("arrays") {
    Value v{Array{}};
    for (int i = 0; i < kDepth; ++i) {
      Array a;
      a.push_back(std::move(v));
      a.push_back(i); // a scalar sibling
      v = Value(std::move(a));
    }
    CHECK(v.size() == 2);
    Value copy = v;
    CHECK(copy == v); // same block: shortcut
    v = Value();      // one reference left: nothing freed yet
    CHECK(copy[1].as_int() == kDepth - 1);
  } // `copy` frees the whole chain here
  SUBCASE("objects") {
    Value v{Object{}};
    for (int i = 0; i < kDepth; ++i)
      v = Value(Object{{"next", std::move(v)}});
    CHECK(v.size() == 1);
  }
  SUBCASE("deep comparison and serialisation") {
    constexpr int kLevels = 200000;
    auto build = [] {
      Value v(1);
      for (int i = 0; i < kLevels; ++i) {
        Array a;
        a.push_back(std::move(v));
        v = Value(std::move(a));
      }
      return v;
    };
    Value a = build();
    Value b = build();
    CHECK(a == b); // different blocks: full iterative comparison
    const std::string json = a.to_json();
    CHECK(json.size() == 2 * kLevels + 1);
    CHECK(json.substr(kLevels - 2, 5) == "[[1]]");
    // Pretty output grows with the square of the depth; check it on a shallower value.
    Value shallow(1);
    for (int i = 0; i < 3000; ++i)
      shallow = Value(Array{shallow});
    const std::string pretty = shallow.to_json(true);
    // d opening and d closing lines of 2k+1 bytes (k = 0..d-1), the "1" line, 2d newlines.
    CHECK(pretty.size() == 2 * 3000 * 3000 + 4 * 3000 + 1);
    CHECK(pretty.substr(0, 6) == "[\n  [\n");
    CHECK(pretty.substr(pretty.size() - 6) == "\n  ]\n]");
    CHECK_THROWS_AS(Value::parse_json(json), JsonError); // deeper than the parser allows
  }
}

// ---------------------------------------------------------------------------------------
// Property-style round trips

namespace {

class RandomValues {
public:
  explicit RandomValues(std::uint64_t seed) : rng_(seed) {}

  Value value(int depth = 0) {
    const int pick = static_cast<int>(below(depth < 5 ? 8 : 5));
    switch (pick) {
    case 0:
      return Value();
    case 1:
      return Value(below(2) == 0);
    case 2:
      return Value(integer());
    case 3:
      return Value(real());
    case 4:
      return Value(text());
    case 5:
    case 6: {
      Array a;
      const std::size_t n = below(6);
      for (std::size_t i = 0; i < n; ++i)
        a.push_back(value(depth + 1));
      return Value(std::move(a));
    }
    default: {
      Object o;
      // Sometimes large enough for the indexed representation.
      const std::size_t n = below(4) == 0 ? below(30) : below(6);
      for (std::size_t i = 0; i < n; ++i)
        o.emplace_back(below(3) == 0 ? "k" + std::to_string(below(8)) : text(), value(depth + 1));
      return Value(std::move(o));
    }
    }
  }

private:
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  std::int64_t integer() {
    static constexpr std::int64_t special[] = {kMin,
                                               kMax,
                                               kMin + 1,
                                               kMax - 1,
                                               0,
                                               -1,
                                               1,
                                               (std::int64_t{1} << 53) + 1,
                                               -((std::int64_t{1} << 53) + 1)};
    switch (below(3)) {
    case 0:
      return special[below(std::size(special))];
    case 1:
      return static_cast<std::int64_t>(below(2000)) - 1000;
    default:
      return static_cast<std::int64_t>(rng_());
    }
  }

  double real() {
    static constexpr double special[] = {0.0,
                                         -0.0,
                                         0.1,
                                         -1.5,
                                         1.0,
                                         100.0,
                                         1e21,
                                         1e22,
                                         1e-7,
                                         5e-324,
                                         -5e-324,
                                         2.2250738585072014e-308,
                                         std::numeric_limits<double>::max(),
                                         std::numeric_limits<double>::lowest(),
                                         9007199254740993.0,
                                         123456789.125};
    switch (below(4)) {
    case 0:
      return special[below(std::size(special))];
    case 1:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
    case 2:
      return static_cast<double>(static_cast<std::int64_t>(below(100000)) - 50000);
    default:
      for (;;) { // any finite bit pattern: tiny, huge, subnormal, negative
        const std::uint64_t bits = rng_();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (std::isfinite(d))
          return d;
      }
    }
  }

  void append_utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string text() {
    std::string s;
    const std::size_t n = below(12);
    for (std::size_t i = 0; i < n; ++i) {
      switch (below(6)) {
      case 0:
        s += static_cast<char>(below(0x20)); // control characters, incl. NUL
        break;
      case 1:
        s += "\"\\/"[below(3)];
        break;
      case 2:
        append_utf8(s, static_cast<std::uint32_t>(0x80 + below(0x800 - 0x80)));
        break;
      case 3: {
        std::uint32_t cp;
        do
          cp = static_cast<std::uint32_t>(0x800 + below(0x10000 - 0x800));
        while (cp >= 0xD800 && cp <= 0xDFFF);
        append_utf8(s, cp);
        break;
      }
      case 4:
        append_utf8(s, static_cast<std::uint32_t>(0x10000 + below(0x110000 - 0x10000)));
        break;
      default:
        s += static_cast<char>(0x20 + below(0x5F)); // printable ASCII
      }
    }
    return s;
  }

  std::mt19937_64 rng_;
};

} // namespace

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

TEST_CASE("property: equality is reflexive and symmetric on random values") {
  RandomValues a(7), b(7), c(8);
  for (int i = 0; i < 500; ++i) {
    const Value x = a.value();
    const Value y = b.value(); // same seed: equal but separately built
    const Value z = c.value();
    REQUIRE(x == y);
    REQUIRE(y == x);
    REQUIRE((x == z) == (z == x));
    if (x.to_json() == z.to_json())
      REQUIRE(x == z);
  }
}

// ---------------------------------------------------------------------------------------
// error.hpp and node.hpp helpers

TEST_CASE("error categories") {
  const ErrorCategory all[] = {
      ErrorCategory::invalid_input, ErrorCategory::permission, ErrorCategory::not_found,
      ErrorCategory::conflict,      ErrorCategory::transient,  ErrorCategory::rate_limited,
      ErrorCategory::timeout,       ErrorCategory::cancelled,  ErrorCategory::internal};
  for (ErrorCategory c : all)
    CHECK(parse_error_category(to_string(c)) == c);
  CHECK(to_string(ErrorCategory::invalid_input) == "invalid_input");
  CHECK(to_string(ErrorCategory::rate_limited) == "rate_limited");
  CHECK_FALSE(parse_error_category("bogus").has_value());
  CHECK_FALSE(parse_error_category("").has_value());
  CHECK(is_retryable(ErrorCategory::transient));
  CHECK(is_retryable(ErrorCategory::rate_limited));
  CHECK(is_retryable(ErrorCategory::timeout));
  CHECK_FALSE(is_retryable(ErrorCategory::invalid_input));
  CHECK_FALSE(is_retryable(ErrorCategory::cancelled));
  CHECK_FALSE(is_retryable(ErrorCategory::internal));

  NodeError e(ErrorCategory::rate_limited, "slow down", "wait a bit",
              std::chrono::milliseconds(1500));
  CHECK(std::string(e.what()) == "slow down");
  CHECK(e.category() == ErrorCategory::rate_limited);
  CHECK(e.hint() == "wait a bit");
  CHECK(e.retry_after() == std::chrono::milliseconds(1500));
  NodeError plain(ErrorCategory::not_found, "missing");
  CHECK(plain.hint().empty());
  CHECK_FALSE(plain.retry_after().has_value());
}

TEST_CASE("setting types, specs and log levels") {
  CHECK(to_string(SettingType::any) == "any");
  CHECK(to_string(SettingType::string) == "string");
  CHECK(to_string(SettingType::integer) == "integer");
  CHECK(to_string(SettingType::number) == "number");
  CHECK(to_string(SettingType::boolean) == "boolean");
  CHECK(to_string(SettingType::array) == "array");
  CHECK(to_string(SettingType::object) == "object");

  CHECK(accepts(SettingType::any, Value()));
  CHECK(accepts(SettingType::any, arr({})));
  CHECK(accepts(SettingType::number, Value(3)));
  CHECK(accepts(SettingType::number, Value(3.5)));
  CHECK_FALSE(accepts(SettingType::number, Value("3")));
  CHECK(accepts(SettingType::integer, Value(3)));
  CHECK_FALSE(accepts(SettingType::integer, Value(3.0)));
  CHECK(accepts(SettingType::string, Value("")));
  CHECK_FALSE(accepts(SettingType::string, Value()));
  CHECK(accepts(SettingType::boolean, Value(false)));
  CHECK_FALSE(accepts(SettingType::boolean, Value(0)));
  CHECK(accepts(SettingType::array, arr({1})));
  CHECK_FALSE(accepts(SettingType::array, obj({})));
  CHECK(accepts(SettingType::object, obj({})));
  CHECK_FALSE(accepts(SettingType::object, arr({})));

  NodeSpec spec;
  spec.settings.push_back({"url", SettingType::string, "where", true, Value()});
  spec.settings.push_back({"tries", SettingType::integer, "how often", false, Value(3)});
  REQUIRE(spec.find_setting("tries") != nullptr);
  CHECK(spec.find_setting("tries")->default_value.as_int() == 3);
  CHECK(spec.find_setting("url") == &spec.settings[0]);
  CHECK(spec.find_setting("nope") == nullptr);

  CHECK(to_string(LogLevel::debug) == "debug");
  CHECK(to_string(LogLevel::info) == "info");
  CHECK(to_string(LogLevel::warning) == "warning");
  CHECK(to_string(LogLevel::error) == "error");
}
