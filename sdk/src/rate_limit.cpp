// Retry-After and the per-connection pacer (sluice/rate_limit.hpp). The pacer's state is under
// a mutex that is never held across a wait: a coroutine reads what it must wait for, waits on
// its own timer, and tries again.

#include <sluice/rate_limit.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <ctime>
#include <iomanip>
#include <map>
#include <mutex>
#include <sstream>

namespace sluice {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  if (value.empty())
    return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos && value.size() < 9)
    return seconds(std::stoll(std::string(value)));
  std::tm parts{};
  // ISO 8601 (what Zoom sends on daily limits) or an HTTP date (RFC 9110).
  for (const char* format : {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%a, %d %b %Y %H:%M:%S"}) {
    parts = {};
    std::istringstream in{std::string(value)};
    in >> std::get_time(&parts, format);
    if (!in.fail()) {
      // Compared in seconds: a year such as 1015 or 9999 would overflow the clock's
      // nanoseconds. A wait of more than a year is no service's real answer.
      const std::time_t at = timegm(&parts);
      const std::time_t current = system_clock::to_time_t(now);
      if (at <= current)
        return milliseconds(0);
      if (at - current > 366LL * 24 * 3600)
        return std::nullopt;
      // Less the part of the current second already gone: `current` is `now` cut to seconds.
      const auto gone = ceil<milliseconds>(now - system_clock::from_time_t(current));
      return duration_cast<milliseconds>(seconds(at - current)) - gone;
    }
  }
  return std::nullopt;
}

namespace {

std::int64_t wall_second() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The start of the next wall-clock second (services count per wall second), plus a margin
// for clocks a little apart.
SteadyClock::time_point next_second() {
  const auto into_second = std::chrono::duration_cast<milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()) %
                           1000;
  return SteadyClock::now() + (milliseconds(1000) - into_second) + milliseconds(5);
}

} // namespace

struct RatePacer::State {
  struct Window {
    int limit = 0; // requests per second; 0: not known
    std::int64_t second = 0;
    int started = 0;
  };
  mutable std::mutex mutex;
  SteadyClock::time_point not_before{};
  std::map<std::string, Window, std::less<>> windows;
};

RatePacer::RatePacer() : state_(std::make_unique<State>()) {
}

RatePacer::~RatePacer() = default;

RatePacer& RatePacer::for_key(const std::string& key) {
  static std::mutex mutex;
  // Never destroyed: pacers are used by plugin code that may run during static destruction.
  static auto* pacers = new std::map<std::string, std::unique_ptr<RatePacer>>();
  std::lock_guard lock(mutex);
  std::unique_ptr<RatePacer>& pacer = (*pacers)[key];
  if (!pacer)
    pacer = std::make_unique<RatePacer>();
  return *pacer;
}

asio::awaitable<void> RatePacer::wait_turn(std::string category) {
  for (;;) {
    SteadyClock::time_point until;
    {
      std::lock_guard lock(state_->mutex);
      until = state_->not_before;
      if (until <= SteadyClock::now()) {
        State::Window& w = state_->windows[category];
        const std::int64_t now = wall_second();
        if (w.second != now) {
          w.second = now;
          w.started = 0;
        }
        if (w.limit <= 0 || w.started < w.limit) {
          ++w.started;
          co_return;
        }
        until = next_second();
      }
    }
    asio::steady_timer timer(co_await asio::this_coro::executor, until);
    co_await timer.async_wait(asio::use_awaitable); // throws when cancelled
  }
}

SteadyClock::time_point RatePacer::not_before() const {
  std::lock_guard lock(state_->mutex);
  return state_->not_before;
}

void RatePacer::hold_until(SteadyClock::time_point until) {
  std::lock_guard lock(state_->mutex);
  state_->not_before = std::max(state_->not_before, until);
}

void RatePacer::learn(const HttpResponse& response, const std::string& category) {
  if (response.header("X-RateLimit-Type") != "QPS")
    return;
  const std::string limit = response.header("X-RateLimit-Limit");
  const bool limit_ok = !limit.empty() && limit.size() <= 6 &&
                        limit.find_first_not_of("0123456789") == std::string::npos;
  const bool exhausted = response.header("X-RateLimit-Remaining") == "0";
  std::lock_guard lock(state_->mutex);
  if (limit_ok)
    state_->windows[category].limit = std::stoi(limit);
  if (exhausted)
    state_->not_before = std::max(state_->not_before, next_second());
}

} // namespace sluice
