#pragma once
/// @file
/// Living within a service's rate limits (SDK ABI 1.6): reading `Retry-After`, and pacing a
/// connection's requests from what the service's answers say, so that a burst waits its turn
/// instead of collecting 429s. Shared by every run of the process that uses the connection.
///
/// ```
/// sluice::RatePacer& pacer = sluice::RatePacer::for_key("zoom:" + connection);
/// co_await pacer.wait_turn("Light");
/// sluice::HttpResponse r = co_await ctx.http().send(request);
/// pacer.learn(r, "Light");
/// if (r.status == 429)
///   if (auto wait = sluice::parse_retry_after(r.header("Retry-After"), now)) ...
/// ```

#include <sluice/export.hpp>
#include <sluice/http.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

/// How long a `Retry-After` value asks to wait: delay-seconds, an HTTP date (RFC 9110), or
/// an ISO 8601 UTC time (Zoom's daily limits). nullopt when empty or unreadable; a time in the
/// past is no wait.
SLUICE_SDK_API std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

/// Paces the requests of one connection to a service. Thread-safe: node runs on any thread
/// share one pacer per key.
///
/// - A hold (`hold_until`, e.g. after a 429's `Retry-After`) delays every request.
/// - Per-second budgets per category (a service's label for a class of operations, or ""):
///   the limit is learnt from `X-RateLimit-Limit` when `X-RateLimit-Type` is `QPS` (Zoom), and
///   a request beyond it waits for the next second.
/// - `X-RateLimit-Remaining: 0` on a per-second limit holds requests until the next second.
///
/// Other processes and applications share an account's limits, so pacing only makes 429s
/// rare: a plugin still waits out the ones that come.
class SLUICE_SDK_API RatePacer {
public:
  RatePacer();
  ~RatePacer();
  RatePacer(const RatePacer&) = delete;
  RatePacer& operator=(const RatePacer&) = delete;

  /// The process-wide pacer for `key` (e.g. "zoom:" + a store and a connection name).
  static RatePacer& for_key(const std::string& key);

  /// Waits, on the awaiting coroutine's executor, until a request of `category` may go, and
  /// counts it. Cancelling the awaiting coroutine ends the wait with `operation_aborted`.
  boost::asio::awaitable<void> wait_turn(std::string category);
  /// The earliest time any request may go (a hold).
  std::chrono::steady_clock::time_point not_before() const;
  /// Holds every request until `until` (kept when a later hold exists).
  void hold_until(std::chrono::steady_clock::time_point until);
  /// Learns the limits an answer announces (see the class comment).
  void learn(const HttpResponse& response, const std::string& category);

private:
  struct State;
  std::unique_ptr<State> state_;
};

} // namespace sluice
