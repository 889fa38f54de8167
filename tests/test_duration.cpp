// Tests for parse_duration (engine/src/duration.cpp): the duration syntax of timeouts and
// retry backoffs ("250ms", "2s", "1.5h", plain milliseconds) and what it rejects.

#include <sluice/duration.hpp>

#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <chrono>

using namespace sluice;
using namespace sluice::detail;
using namespace std::chrono_literals;

TEST_CASE("durations") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("2s") == 2000ms);
  CHECK(parse_duration("1.5s") == 1500ms);
  CHECK(parse_duration("5m") == 300'000ms);
  CHECK(parse_duration("1h") == 3'600'000ms);
  CHECK(parse_duration("0.5h") == 1'800'000ms);
  CHECK(parse_duration("7d") == 7 * 86'400'000ms);
  CHECK(parse_duration("750") == 750ms);
  CHECK(parse_duration("0") == 0ms);
  CHECK(parse_duration(Value(1200)) == 1200ms);
  CHECK(parse_duration(Value("3s")) == 3000ms);
  for (const char* bad : {"", "soon", "-5ms", "-1", "1.5", "1.5ms", "2 s", "2S", "s", ".5s", "5.s",
                          "1w", "99999999999999999999h"})
    CHECK_MESSAGE(!parse_duration(bad), bad);
  CHECK_FALSE(parse_duration(Value(-1)));
  CHECK_FALSE(parse_duration(Value(1.5)));
  CHECK_FALSE(parse_duration(Value(true)));
  CHECK_FALSE(parse_duration(Value()));
}
