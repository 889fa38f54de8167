// Tests for sluice::Value (sdk/src/value.cpp): types and accessors, arrays and objects,
// BorrowedArray, copies and assignment, equality, to_text, lookup by path, sharing across
// threads and deep values. JSON is in test_json.cpp, path syntax in test_path.cpp.

#include "support/numbered.hpp"
#include "support/value_helpers.hpp"

#include <sluice/detail/borrowed_array.hpp>
#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace sluice;
using namespace test_support;

static_assert(sizeof(Value) == 16);

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
    // (void): without it clang reads `Value(std::numeric_limits<...>::max());` as a declaration.
    CHECK_THROWS_AS((void)Value(std::numeric_limits<std::uint64_t>::max()), std::out_of_range);
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

TEST_CASE("Value::object builds what Value(Object) builds") {
  const Value shared = arr({"kept"});
  const Value o = Value::object({{"b", 1}, {"a", "x"}, {"c", shared}});
  CHECK(o.is_object());
  REQUIRE(o.size() == 3);
  CHECK(o.as_object()[0].first == "b"); // the order given
  CHECK(o.as_object()[1].first == "a");
  CHECK(o.as_object()[2].first == "c");
  CHECK(o == obj({{"b", 1}, {"a", "x"}, {"c", arr({"kept"})}}));
  CHECK(o.to_json() == R"({"b":1,"a":"x","c":["kept"]})");
  CHECK(o.find("a")->as_string() == "x");
  CHECK(o.find("zz") == nullptr);
  // A value is shared, not copied.
  CHECK(&o["c"][0] == &shared[0]);
  CHECK(Value::object({}) == Value(Object{}));
  CHECK(Value::object({}).is_object());

  SUBCASE("a repeated key: the last value wins at the first key's place") {
    const Value r = Value::object({{"k", 1}, {"m", 2}, {"k", 3}});
    REQUIRE(r.size() == 2);
    CHECK(r.to_json() == R"({"k":3,"m":2})");
    CHECK(r == Value(Object{{"k", 1}, {"m", 2}, {"k", 3}}));
  }
  SUBCASE("more than twelve members are found by their index") {
    const Value big = Value::object({{"m01", 1},
                                     {"m02", 2},
                                     {"m03", 3},
                                     {"m04", 4},
                                     {"m05", 5},
                                     {"m06", 6},
                                     {"m07", 7},
                                     {"m08", 8},
                                     {"m09", 9},
                                     {"m10", 10},
                                     {"m11", 11},
                                     {"m12", 12},
                                     {"m13", 13},
                                     {"a", 0}});
    REQUIRE(big.size() == 14);
    CHECK(big.as_object()[13].first == "a");
    for (int i = 1; i <= 13; ++i) {
      const std::string key = (i < 10 ? "m0" : "m") + std::to_string(i);
      REQUIRE(big.find(key) != nullptr);
      CHECK(big.find(key)->as_int() == i);
    }
    CHECK(big["a"].as_int() == 0);
  }
  SUBCASE("dropped, a block of scalars frees its keys (LeakSanitizer checks it)") {
    const std::string long_key(64, 'k'); // on the heap, not in the string's own buffer
    for (int i = 0; i < 3; ++i) {
      Value flat = Value::object({{long_key, i}, {"n", nullptr}, {"d", 0.5}});
      CHECK(flat[long_key].as_int() == i);
      Value copy = flat; // the last of two references frees it
      flat = Value();
      CHECK(copy.size() == 3);
    }
    std::array<Value, 3> scalars{Value(1), Value(true), Value()};
    const Value list = Value::array_from(scalars);
    CHECK(list.to_json() == "[1,true,null]");
  }
  SUBCASE("keys are copied: the text they came from may go") {
    Value kept;
    {
      std::string key(40, 'k'); // past the short-string buffer
      std::string_view view = key;
      kept = Value::object({{view, 7}});
      key.assign(40, 'z');
    }
    CHECK(kept[std::string(40, 'k')].as_int() == 7);
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
  SUBCASE("a small borrow's block serves the thread's next one, unless a copy kept it") {
    Value first = BorrowedArray::make(pointers);
    const Value* slots = &first[std::size_t{0}];
    BorrowedArray::end(first);
    Value second = BorrowedArray::make(pointers);
    CHECK(&second[std::size_t{0}] == slots); // the block came back
    Value kept = second;
    BorrowedArray::end(second);
    Value third = BorrowedArray::make(pointers);
    CHECK(&third[std::size_t{0}] != slots); // still held by `kept`
    CHECK(third == kept);
    BorrowedArray::end(third);
    // Nine elements: past the spare's room, an exact block of its own.
    std::vector<const Value*> many(9, source_a.get());
    Value large = BorrowedArray::make(many);
    CHECK(large.size() == 9);
    CHECK(large[std::size_t{8}] == *source_a);
    BorrowedArray::end(large);
    // A thread's spare is freed when the thread ends (LeakSanitizer would report it).
    std::thread([&] {
      Value other = BorrowedArray::make(pointers);
      BorrowedArray::end(other);
    }).join();
    kept = Value();
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
      members.emplace_back(numbered("key-", i), Value(static_cast<std::int64_t>(i)));
    for (std::size_t i = n; i-- > 0;)
      reversed.emplace_back(numbered("key-", i), Value(static_cast<std::int64_t>(i)));
    const Value object(members);
    const Value other(reversed);
    REQUIRE(object.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string key = numbered("key-", i);
      REQUIRE(object.find(key) != nullptr);
      CHECK(object.find(key)->as_int() == static_cast<std::int64_t>(i));
      CHECK(object.as_object()[i].first == key); // insertion order kept
    }
    CHECK(object.find("key-") == nullptr);
    CHECK(object.find(numbered("key-", n)) == nullptr);
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
      members.emplace_back(numbered("k", 99 - i), i);
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
      const Value* v = big.find(numbered("k", i));
      REQUIRE(v != nullptr);
      if (i != 50 && i != 99)
        CHECK(v->as_int() == 99 - i);
    }
    CHECK(big.find("k100") == nullptr);
    CHECK(big.find("") == nullptr);
  }
}

TEST_CASE("object constructor: every size, key order and duplicate pattern agrees with a model") {
  // Up to 12 members: linear; 13 to 32: positions sorted by insertion on the stack; more:
  // std::stable_sort. Each is checked against a map of first positions and last values.
  std::mt19937 random(7);
  for (std::size_t n = 1; n <= 70; ++n) {
    for (int pattern = 0; pattern < 4; ++pattern) {
      CAPTURE(n);
      CAPTURE(pattern);
      Object members;
      for (std::size_t i = 0; i < n; ++i) {
        std::size_t key = i;
        if (pattern == 1)
          key = n - 1 - i; // descending: insertion sort's worst case
        else if (pattern == 2)
          key = random() % n; // random, with duplicates
        else if (pattern == 3)
          key = random() % (n / 3 + 1); // many duplicates
        // Keys that differ early, and keys alike in their first eight bytes or more (the
        // sort compares those bytes as one number first), with bytes above 0x7f and NULs.
        std::string name = numbered("key", static_cast<int>(key));
        if (key % 3 == 1)
          name = numbered("alternative_hosts_", static_cast<int>(key));
        else if (key % 3 == 2)
          name = std::string("ab\0\xff", 4) + std::string(key % 5, '\0') +
                 numbered("", static_cast<int>(key));
        members.emplace_back(name, static_cast<int>(i));
      }
      std::vector<std::string> first_order;
      std::map<std::string, std::int64_t> last_value;
      for (const auto& [key, value] : members) {
        if (!last_value.contains(key))
          first_order.push_back(key);
        last_value[key] = value.as_int();
      }
      const Value object(std::move(members));
      const auto built = object.as_object();
      REQUIRE(built.size() == first_order.size());
      for (std::size_t i = 0; i < built.size(); ++i) {
        CHECK(built[i].first == first_order[i]);
        CHECK(built[i].second.as_int() == last_value[first_order[i]]);
        const Value* found = object.find(first_order[i]);
        REQUIRE(found != nullptr);
        CHECK(found->as_int() == last_value[first_order[i]]);
      }
      CHECK(object.find("key") == nullptr);
      CHECK(object.find(numbered("key", static_cast<int>(n))) == nullptr);
    }
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
  // Through a reference: the same self-assignments, without clang's -Wself-assign warnings.
  Value& same = d;
  d = same; // self copy-assignment
  CHECK(d == a);
  d = std::move(same); // self move-assignment
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
    forward.emplace_back(numbered("m", i), i);
  for (int i = 49; i >= 0; --i)
    backward.emplace_back(numbered("m", i), i);
  Value f(forward), b(backward);
  CHECK(f == b);
  backward[3].second = -1;
  CHECK(f != Value(backward));
}

// ---------------------------------------------------------------------------------------
// Text

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
// Lookup by path (Value::find(Path) and Value::at)

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
          // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): copying is the test
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
// Property-style (RandomValues: support/value_helpers.hpp)

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
