// TickSpan: raw time-stamp counter readings mapped onto steady_clock at the end of a run.

#include "tick_clock.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace sluice;
using namespace sluice::detail;
using namespace std::chrono_literals;

TEST_CASE("TickSpan maps readings linearly into the run's window") {
  const Clock::time_point start = Clock::time_point(1'000'000ns);
  const Clock::time_point end = start + 1000ns;
  const TickSpan span(start, 5000, end, 7000); // 2 ticks per nanosecond

  CHECK(span.to_time(raw_ticks(5000)) == start);
  CHECK(span.to_time(raw_ticks(7000)) == end);
  CHECK(span.to_time(raw_ticks(6000)) == start + 500ns);
  CHECK(span.to_time(raw_ticks(5002)) == start + 1ns);
  // Outside the window (a counter read on another core, or garbage): clamped.
  CHECK(span.to_time(raw_ticks(10)) == start);
  CHECK(span.to_time(raw_ticks(9'000'000)) == end);
  // In order stays in order.
  Clock::time_point previous = start;
  for (std::uint64_t t = 5000; t <= 7000; t += 7) {
    const Clock::time_point at = span.to_time(raw_ticks(t));
    CHECK(at >= previous);
    previous = at;
  }
}

TEST_CASE("TickSpan with no ticks or no time between its ends") {
  const Clock::time_point start = Clock::time_point(50ns);
  const TickSpan stopped(start, 100, start + 10ns, 100);
  CHECK(stopped.to_time(raw_ticks(100)) == start);
  CHECK(stopped.to_time(raw_ticks(101)) == start + 10ns);
  const TickSpan instant(start, 100, start, 200);
  CHECK(instant.to_time(raw_ticks(150)) == start);
}

TEST_CASE("the counter, where usable, agrees with steady_clock over a real interval") {
  if (!tick_counter_usable()) {
    MESSAGE("no invariant TSC here: runs use steady_clock for every stamp");
    return;
  }
  const Clock::time_point start = Clock::now();
  const std::uint64_t start_ticks = read_ticks();
  std::this_thread::sleep_for(20ms);
  const std::uint64_t middle_ticks = read_ticks();
  const Clock::time_point middle = Clock::now();
  std::this_thread::sleep_for(20ms);
  const Clock::time_point end = Clock::now();
  const TickSpan span(start, start_ticks, end, read_ticks());
  // The middle reading lands within a few milliseconds of the clock read beside it (sleep
  // wake-ups on a busy machine vary; a wrong rate would be off by tens of milliseconds).
  const auto error = span.to_time(raw_ticks(middle_ticks)) - middle;
  CHECK(std::chrono::abs(error) < 5ms);
}
