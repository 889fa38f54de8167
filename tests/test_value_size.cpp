// Tests for the approximate size of a Value as Limits::output_bytes counts it
// (sluice/detail/approximate_size.hpp): the counting rules, the figure each block keeps
// agreeing with a walk of the value whichever way it was built, saturation instead of
// wrapping, and nesting deeper than any recursion could go.

#include <sluice/detail/approximate_size.hpp>
#include <sluice/detail/borrowed_array.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::detail;

namespace {

// The rules as documented, counted by walking the value (the tests' values are shallow).
std::size_t walked_size(const Value& v) {
  switch (v.type()) {
  case ValueType::string:
    return 16 + 48 + v.as_string().size();
  case ValueType::array: {
    std::size_t total = 16 + 48;
    for (const Value& element : v.as_array())
      total += walked_size(element);
    return total;
  }
  case ValueType::object: {
    std::size_t total = 16 + 48;
    for (const auto& [key, member] : v.as_object())
      total += key.size() + walked_size(member);
    return total;
  }
  default:
    return 16;
  }
}

// A random value of at most `depth` levels, built through each of Value's ways of making a
// block: Array, array_from, objects of up to 12 members, 13-32 and more (each with and
// without repeated keys, whose merging drops members), strings, and JSON text.
Value random_value(std::mt19937_64& rng, int depth) {
  const auto pick = [&](std::uint64_t n) { return rng() % n; };
  const std::uint64_t kind = depth == 0 ? pick(4) : pick(10);
  switch (kind) {
  case 0:
    return Value();
  case 1:
    return Value(static_cast<std::int64_t>(rng()));
  case 2:
    return Value(0.5);
  case 3:
    return Value(std::string(pick(40), 'x'));
  case 4: {
    Array elements;
    for (std::uint64_t i = pick(6); i > 0; --i)
      elements.push_back(random_value(rng, depth - 1));
    return Value(std::move(elements));
  }
  case 5: {
    std::vector<Value> elements;
    for (std::uint64_t i = pick(6); i > 0; --i)
      elements.push_back(random_value(rng, depth - 1));
    return Value::array_from(elements);
  }
  case 6:
  case 7: {
    // Up to 12, or up to 40 members; keys drawn from a small set so that some repeat.
    const std::uint64_t count = kind == 6 ? pick(13) : 13 + pick(28);
    const std::uint64_t distinct = pick(2) == 0 ? count + 1 : count / 2 + 1;
    Object members;
    for (std::uint64_t i = 0; i < count; ++i)
      members.emplace_back("key" + std::to_string(pick(distinct)), random_value(rng, depth - 1));
    return Value(std::move(members));
  }
  case 8: {
    // Value::object: three members whose keys repeat at random.
    const std::string keys[] = {"k" + std::to_string(pick(3)), "k" + std::to_string(pick(3)),
                                "k" + std::to_string(pick(3))};
    return Value::object({{keys[0], random_value(rng, depth - 1)},
                          {keys[1], random_value(rng, depth - 1)},
                          {keys[2], random_value(rng, depth - 1)}});
  }
  default:
    return Value::parse_json(random_value(rng, depth - 1).to_json());
  }
}

} // namespace

TEST_CASE("what each kind of value counts") {
  CHECK(approximate_size(Value()) == 16);
  CHECK(approximate_size(Value(42)) == 16);
  CHECK(approximate_size(Value("abc")) == 16 + 48 + 3);
  CHECK(approximate_size(Value(Array{})) == 16 + 48);
  CHECK(approximate_size(Value(Array{1, "ab"})) == (16 + 48) + 16 + (16 + 48 + 2));
  // A member name counts its bytes.
  CHECK(approximate_size(Value(Object{{"key", true}})) == (16 + 48) + 3 + 16);
  CHECK(approximate_size(Value(Object{{"a", Object{{"b", Array{"c"}}}}})) ==
        (16 + 48) + 1 + (16 + 48) + 1 + (16 + 48) + (16 + 48 + 1));
  // A shared value counts once per place, as it would when printed.
  const Value shared(std::string(100, 'x'));
  CHECK(approximate_size(Value(Array{shared, shared})) == (16 + 48) + 2 * (16 + 48 + 100));
  // A repeated key counts once: the value that won.
  CHECK(approximate_size(Value(Object{{"k", "long text"}, {"k", 1}})) == (16 + 48) + 1 + 16);
}

TEST_CASE("larger_than answers scalars without a call, and agrees with approximate_size") {
  CHECK_FALSE(larger_than(Value(1), 16));
  CHECK(larger_than(Value(1), 15));
  CHECK_FALSE(larger_than(Value("abc"), 67));
  CHECK(larger_than(Value("abc"), 66));
  CHECK_FALSE(larger_than(Value(Object{{"key", true}}), 83));
  CHECK(larger_than(Value(Object{{"key", true}}), 82));
}

TEST_CASE("the kept figure matches a walk, however the value was built") {
  std::mt19937_64 rng(20261207);
  for (int i = 0; i < 2000; ++i) {
    const Value v = random_value(rng, 4);
    CAPTURE(v.to_json());
    REQUIRE(approximate_size(v) == walked_size(v));
  }
}

TEST_CASE("a borrowed list counts what it lends, also once a node keeps it") {
  const Value a(std::string(10, 'a'));
  const Value b(Object{{"x", 1}});
  const Value* lent[] = {&a, nullptr, &b};
  Value list = BorrowedArray::make(lent);
  const std::size_t expected = (16 + 48) + (16 + 48 + 10) + 16 + ((16 + 48) + 1 + 16);
  CHECK(approximate_size(list) == expected);
  Value kept = list; // a node returned it
  BorrowedArray::end(list);
  CHECK(approximate_size(kept) == expected);
  CHECK(walked_size(kept) == expected);
}

TEST_CASE("sharing past any limit saturates instead of wrapping") {
  // Each level holds the previous one twice: 2^80 places, more than a size_t counts.
  Value v("x");
  for (int i = 0; i < 80; ++i)
    v = Value(Array{v, v});
  CHECK(approximate_size(v) == std::numeric_limits<std::size_t>::max());
  CHECK(larger_than(v, std::numeric_limits<std::size_t>::max() - 1));
  // And stays there when it is part of something larger.
  CHECK(approximate_size(Value(Object{{"a", v}, {"b", 1}})) ==
        std::numeric_limits<std::size_t>::max());
}

TEST_CASE("nesting deeper than recursion could go") {
  // A million lists, each the only element of the next: counted as they were built.
  Value deep("end");
  for (int i = 0; i < 1'000'000; ++i)
    deep = Value(Array{deep});
  CHECK(approximate_size(deep) == 1'000'000 * (16 + 48) + (16 + 48 + 3));
  CHECK(larger_than(deep, 640));
}
