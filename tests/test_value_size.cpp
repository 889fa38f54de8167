// Tests for the approximate size of a Value (engine/src/value_size.cpp), as
// Limits::output_bytes counts it: the counting rules, the walk stopping at its bound, and
// nesting deeper than any recursion could go.

#include "value_size.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace sluice;
using namespace sluice::detail;

TEST_CASE("what each kind of value counts") {
  CHECK(approximate_size(Value(), 1000) == 16);
  CHECK(approximate_size(Value(42), 1000) == 16);
  CHECK(approximate_size(Value("abc"), 1000) == 16 + 48 + 3);
  CHECK(approximate_size(Value(Array{}), 1000) == 16 + 48);
  CHECK(approximate_size(Value(Array{1, "ab"}), 1000) == (16 + 48) + 16 + (16 + 48 + 2));
  // A member name counts its bytes.
  CHECK(approximate_size(Value(Object{{"key", true}}), 1000) == (16 + 48) + 3 + 16);
  CHECK(approximate_size(Value(Object{{"a", Object{{"b", Array{"c"}}}}}), 1000) ==
        (16 + 48) + 1 + (16 + 48) + 1 + (16 + 48) + (16 + 48 + 1));
  // A shared value counts once per place, as it would when printed.
  const Value shared(std::string(100, 'x'));
  CHECK(approximate_size(Value(Array{shared, shared}), 1000) == (16 + 48) + 2 * (16 + 48 + 100));
}

TEST_CASE("larger_than answers scalars without a walk, and agrees with approximate_size") {
  CHECK_FALSE(larger_than(Value(1), 16));
  CHECK(larger_than(Value(1), 15));
  CHECK_FALSE(larger_than(Value("abc"), 67));
  CHECK(larger_than(Value("abc"), 66));
  CHECK_FALSE(larger_than(Value(Object{{"key", true}}), 83));
  CHECK(larger_than(Value(Object{{"key", true}}), 82));
}

TEST_CASE("the walk stops once the count passes the bound") {
  // A million elements: the walk returns at the first value past the bound, so what it
  // returns is above the bound by less than one element's worth.
  Array elements(1'000'000, Value("12345678"));
  const Value big(std::move(elements));
  const std::size_t seen = approximate_size(big, 1000);
  CHECK(seen > 1000);
  CHECK(seen <= 1000 + 16 + 48 + 8);
  CHECK(approximate_size(big, std::size_t{1} << 30) == (16 + 48) + 1'000'000 * (16 + 48 + 8));
}

TEST_CASE("nesting deeper than recursion could go") {
  // A million lists, each the only element of the next (the inline stack of the walk holds
  // 16 of them; the rest spill).
  Value deep("end");
  for (int i = 0; i < 1'000'000; ++i)
    deep = Value(Array{deep});
  CHECK(approximate_size(deep, std::size_t{1} << 30) == 1'000'000 * (16 + 48) + (16 + 48 + 3));
  CHECK(approximate_size(deep, 640) > 640);
}
