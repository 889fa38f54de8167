// Tests for ReadyStack (engine/src/ready_stack.hpp), the executor's stack of ready nodes:
// order, growth past its first block, and the hand-offs that split work between drainers.

#include "ready_stack.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

using sluice::detail::ReadyStack;

namespace {
std::vector<std::uint32_t> contents(const ReadyStack& stack) {
  return {stack.nodes().begin(), stack.nodes().end()};
}
} // namespace

TEST_CASE("last in, first out, across growth") {
  ReadyStack stack;
  CHECK(stack.empty());
  for (std::uint32_t i = 0; i < 10'000; ++i)
    stack.push(i);
  CHECK(stack.size() == 10'000);
  CHECK(stack.capacity() >= 10'000);
  for (std::uint32_t i = 10'000; i-- > 0;)
    REQUIRE(stack.pop() == i);
  CHECK(stack.empty());
}

TEST_CASE("assign_reversed pops the first node first") {
  const std::uint32_t roots[] = {4, 7, 9};
  ReadyStack stack;
  stack.push(1);
  stack.assign_reversed(roots);
  CHECK(contents(stack) == std::vector<std::uint32_t>{9, 7, 4});
  CHECK(stack.pop() == 4);
  CHECK(stack.pop() == 7);
  CHECK(stack.pop() == 9);
  CHECK(stack.empty());
}

TEST_CASE("take_oldest hands over the bottom of the stack and keeps the top") {
  ReadyStack stack;
  for (std::uint32_t i = 0; i < 40; ++i)
    stack.push(i);
  ReadyStack part;
  part.push(99); // replaced, not appended to
  stack.take_oldest(15, part);
  CHECK(part.size() == 15);
  CHECK(part.nodes().front() == 0);
  CHECK(part.nodes().back() == 14);
  CHECK(stack.size() == 25);
  CHECK(stack.nodes().front() == 15);
  CHECK(stack.pop() == 39);
  // Nothing is lost or repeated.
  std::vector<bool> seen(40, false);
  for (std::uint32_t n : part.nodes())
    seen[n] = true;
  for (std::uint32_t n : stack.nodes())
    seen[n] = true;
  seen[39] = true;
  CHECK(std::find(seen.begin(), seen.end(), false) == seen.end());
}

TEST_CASE("moves and swaps carry the contents and leave the source empty") {
  ReadyStack a;
  a.push(1);
  a.push(2);
  ReadyStack b(std::move(a));
  CHECK(a.empty());
  CHECK(a.capacity() == 0);
  CHECK(contents(b) == std::vector<std::uint32_t>{1, 2});
  ReadyStack c;
  c.push(3);
  c.swap(b);
  CHECK(contents(c) == std::vector<std::uint32_t>{1, 2});
  CHECK(contents(b) == std::vector<std::uint32_t>{3});
  a = std::move(c);
  CHECK(contents(a) == std::vector<std::uint32_t>{1, 2});
  a.push(5); // a moved-to stack grows as any other
  CHECK(a.pop() == 5);
}
