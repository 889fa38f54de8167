// sluice/rate_limit.hpp (sdk/src/rate_limit.cpp): reading Retry-After, and a pacer that keeps
// a burst within a per-second limit it learnt from an answer.

#include <sluice/rate_limit.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace std::chrono;
using sluice::HttpResponse;
using sluice::parse_retry_after;
using sluice::RatePacer;

TEST_CASE("Retry-After: seconds, an HTTP date, an ISO 8601 time, or nothing usable") {
  const system_clock::time_point now = sys_days{2030y / 1 / 1} + hours(12);
  CHECK(parse_retry_after("7", now) == milliseconds(7000));
  CHECK(parse_retry_after("0", now) == milliseconds(0));
  CHECK(parse_retry_after("Tue, 01 Jan 2030 12:00:30 GMT", now) == milliseconds(30'000));
  CHECK(parse_retry_after("2030-01-02T00:00:00Z", now) == milliseconds(hours(12)));
  CHECK(parse_retry_after("2029-12-31T00:00:00Z", now) == milliseconds(0)); // past: no wait
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("-5", now));
  CHECK_FALSE(parse_retry_after("999999999999", now)); // not a plausible number of seconds
  // Found by fuzz_http_answer: far years overflowed the clock; a past one is no wait, a wait
  // of more than a year is no answer.
  CHECK(parse_retry_after("Tue, 01 Jan 1015 12:00:30 GMT", now) == milliseconds(0));
  CHECK_FALSE(parse_retry_after("9999-01-01T00:00:00Z", now));
}

namespace {

std::int64_t wall_second() {
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

HttpResponse answer(const std::string& limit, const std::string& remaining) {
  HttpResponse response;
  response.status = 200;
  response.headers = {{"X-RateLimit-Type", "QPS"},
                      {"X-RateLimit-Limit", limit},
                      {"X-RateLimit-Remaining", remaining}};
  return response;
}

// Runs `count` turns of `category` one after the other; the wall second each one went in.
std::vector<std::int64_t> turns(RatePacer& pacer, const std::string& category, int count) {
  boost::asio::io_context io;
  std::vector<std::int64_t> went;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < count; ++i) {
          co_await pacer.wait_turn(category);
          went.push_back(wall_second());
        }
      },
      boost::asio::detached);
  io.run();
  return went;
}

} // namespace

TEST_CASE("a learnt per-second limit makes the turn past it wait for the next second") {
  RatePacer pacer;
  pacer.learn(answer("2", "1"), "Light");
  // Started at the very start of a second, so the two allowed turns share it.
  while (duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() % 1000 > 200)
    std::this_thread::sleep_for(milliseconds(10));
  const std::vector<std::int64_t> went = turns(pacer, "Light", 3);
  REQUIRE(went.size() == 3);
  CHECK(went[0] == went[1]);
  CHECK(went[2] > went[1]);
  // Another category has no limit learnt yet: it does not wait.
  const std::vector<std::int64_t> other = turns(pacer, "Heavy", 5);
  CHECK(other.front() == other.back());
}

TEST_CASE("holds: an exhausted window, and an explicit hold, delay every category") {
  RatePacer pacer;
  CHECK(pacer.not_before() <= steady_clock::now());
  pacer.learn(answer("10", "0"), "Light");
  CHECK(pacer.not_before() > steady_clock::now());
  const std::int64_t before = wall_second();
  CHECK(turns(pacer, "Other", 1).front() > before);

  pacer.hold_until(steady_clock::now() + milliseconds(300));
  const steady_clock::time_point held = pacer.not_before();
  pacer.hold_until(steady_clock::now()); // an earlier hold does not shorten it
  CHECK(pacer.not_before() == held);
  const steady_clock::time_point start = steady_clock::now();
  turns(pacer, "Other", 1);
  CHECK(steady_clock::now() >= held);
  CHECK(steady_clock::now() - start >= milliseconds(250));

  // Answers without Zoom's per-second headers teach nothing.
  HttpResponse plain;
  plain.headers = {{"X-RateLimit-Remaining", "0"}};
  RatePacer fresh;
  fresh.learn(plain, "Light");
  CHECK(fresh.not_before() <= steady_clock::now());
}

TEST_CASE("one pacer per key, shared") {
  CHECK(&RatePacer::for_key("zoom:a") == &RatePacer::for_key("zoom:a"));
  CHECK(&RatePacer::for_key("zoom:a") != &RatePacer::for_key("zoom:b"));
}
