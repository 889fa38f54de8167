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

TEST_CASE("TickRate trusts a rate only over its trusted span, and makes it a little slow") {
  TickRate rate;
  const Clock::time_point origin = Clock::time_point(1h);
  rate.observe(origin, 1'000'000); // the origin
  CHECK(rate.scale() == 0);
  rate.observe(origin + 50ms, 1'000'000 + 100'000'000); // 2 ticks per ns, but only 50 ms
  CHECK(rate.scale() == 0);
  rate.observe(origin + 200ms, 1'000'000 + 400'000'000);
  const std::uint64_t exact = (std::uint64_t{1} << 32) / 2; // half a nanosecond per tick
  CHECK(rate.scale() < exact);
  CHECK(rate.scale() >= exact - (exact >> 16));
  // Not again until the counter's span has grown by an eighth: a pair at 4.4e8 ticks from
  // the origin (under 4e8 + 4e8 / 8) at another rate changes nothing.
  const std::uint64_t first = rate.scale();
  rate.observe(origin + 210ms, 1'000'000 + 440'000'000);
  CHECK(rate.scale() == first);
  // A later pair refines it; one whose counter went backwards is ignored.
  rate.observe(origin + 1000ms, 1'000'000 + 3'000'000'000); // 3 ticks per ns
  const std::uint64_t third = (std::uint64_t{1} << 32) / 3;
  CHECK(rate.scale() <= third);
  CHECK(rate.scale() >= third - (third >> 15));
  const std::uint64_t before = rate.scale();
  rate.observe(origin + 2000ms, 10);
  CHECK(rate.scale() == before);
}

TEST_CASE("TickScale converts from the start with a known rate; nothing before the start") {
  const Clock::time_point start = Clock::time_point(1'000'000ns);
  const TickScale scale(start, 5000, std::uint64_t{1} << 31); // half a ns per tick
  CHECK(scale.to_time(5000) == start);
  CHECK(scale.to_time(4000) == start); // a counter behind on another core
  CHECK(scale.to_time(7000) == start + 1000ns);
  CHECK(scale.to_time(5000 + 2'000'000'000) == start + 1s);
  Clock::time_point previous = start;
  for (std::uint64_t t = 5000; t <= 9000; t += 3) {
    const Clock::time_point at = scale.to_time(t);
    CHECK(at >= previous);
    previous = at;
  }
}

TEST_CASE("the process's rate, once measured, converts a real reading near the clock") {
  if (!tick_counter_usable()) {
    MESSAGE("no invariant TSC here: runs use steady_clock for every stamp");
    return;
  }
  TickRate rate;
  rate.observe(Clock::now(), read_ticks());
  std::this_thread::sleep_for(150ms);
  const std::uint64_t ticks = read_ticks();
  rate.observe(Clock::now(), ticks);
  REQUIRE(rate.scale() != 0);
  const std::uint64_t start_ticks = read_ticks();
  const Clock::time_point start = Clock::now();
  std::this_thread::sleep_for(30ms);
  const std::uint64_t later_ticks = read_ticks();
  const Clock::time_point later = Clock::now();
  const auto error = TickScale(start, start_ticks, rate.scale()).to_time(later_ticks) - later;
  // A few microseconds at most (the reads beside each other); a wrong rate would be off by
  // milliseconds.
  CHECK(std::chrono::abs(error) < 1ms);
}
