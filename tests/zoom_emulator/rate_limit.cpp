// Zoom's rate limits (rate_limit.hpp): per-second and per-day buckets by endpoint label
// and plan, and the daily create/update limit per host user.

#include "rate_limit.hpp"

#include "errors.hpp"
#include "util.hpp"

namespace sluice::zoom_emulator {

namespace {

constexpr int per_user_daily_create_update = 100;
constexpr std::int64_t day_seconds = 24 * 60 * 60;

std::string category_name(RateCategory category) {
  switch (category) {
  case RateCategory::light:
    return "Light";
  case RateCategory::medium:
    return "Medium";
  case RateCategory::heavy:
    return "Heavy";
  case RateCategory::resource_intensive:
    return "Resource-intensive";
  }
  return "Light";
}

std::int64_t milliseconds_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Response too_many(std::string message) {
  return zoom_error(429, code::rate_limited, std::move(message));
}

} // namespace

RateLimiter::Limits RateLimiter::limits(RateCategory category) const {
  switch (plan_) {
  case Plan::free:
    switch (category) {
    case RateCategory::light:
      return {4, 6000};
    case RateCategory::medium:
      return {2, 2000};
    case RateCategory::heavy:
      return {1, 1000};
    case RateCategory::resource_intensive:
      return {10, 30000};
    }
    break;
  case Plan::pro:
    switch (category) {
    case RateCategory::light:
      return {30, 0};
    case RateCategory::medium:
      return {20, 0};
    case RateCategory::heavy:
      return {10, 30000};
    case RateCategory::resource_intensive:
      return {10, 30000};
    }
    break;
  case Plan::business:
    switch (category) {
    case RateCategory::light:
      return {80, 0};
    case RateCategory::medium:
      return {60, 0};
    case RateCategory::heavy:
      return {40, 60000};
    case RateCategory::resource_intensive:
      return {20, 60000};
    }
    break;
  }
  return {30, 0};
}

std::optional<Response>
RateLimiter::admit(RateCategory category, const std::string& host_user_id, std::time_t now,
                   std::vector<std::pair<std::string, std::string>>& headers) {
  const Limits limit = limits(category);
  const std::string name = category_name(category);
  // Resource-intensive limits count per minute, the others per second.
  const std::int64_t window_ms = category == RateCategory::resource_intensive ? 60'000 : 1'000;
  const std::int64_t now_ms = milliseconds_now();

  Window& second = seconds_[category];
  if (now_ms / window_ms != second.start) {
    second.start = now_ms / window_ms;
    second.count = 0;
  }
  Window& day = days_[category];
  if (now / day_seconds != day.start) {
    day.start = now / day_seconds;
    day.count = 0;
  }
  const auto set_headers = [&](Response& response, const char* type, int limit_value,
                               int remaining) {
    response.set_header("X-RateLimit-Category", name);
    response.set_header("X-RateLimit-Type", type);
    response.set_header("X-RateLimit-Limit", std::to_string(limit_value));
    response.set_header("X-RateLimit-Remaining", std::to_string(std::max(0, remaining)));
  };

  if (second.count >= limit.per_second) {
    Response response =
        too_many("You have reached the maximum per-second rate limit for this API. Try again "
                 "later.");
    set_headers(response, "QPS", limit.per_second, 0);
    const std::int64_t wait_ms = window_ms - now_ms % window_ms;
    response.set_header("Retry-After", std::to_string((wait_ms + 999) / 1000));
    return response;
  }
  if (limit.per_day > 0 && day.count >= limit.per_day) {
    Response response = too_many("You have reached the maximum daily rate limit for this API. "
                                 "Refer to the response header for details on when you can make "
                                 "another request.");
    set_headers(response, "Daily-limit", limit.per_day, 0);
    response.set_header("Retry-After", format_utc(next_utc_midnight(now)));
    return response;
  }
  if (!host_user_id.empty()) {
    Window& user = user_days_[host_user_id];
    if (now / day_seconds != user.start) {
      user.start = now / day_seconds;
      user.count = 0;
    }
    if (user.count >= per_user_daily_create_update) {
      Response response = too_many(
          "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
          "permitted for this particular user. You may resume these requests at GMT 00:00:00.");
      set_headers(response, "Daily-limit", per_user_daily_create_update, 0);
      response.set_header("Retry-After", format_utc(next_utc_midnight(now)));
      return response;
    }
    ++user.count;
  }
  ++second.count;
  ++day.count;
  headers.emplace_back("X-RateLimit-Category", name);
  headers.emplace_back("X-RateLimit-Type", "QPS");
  headers.emplace_back("X-RateLimit-Limit", std::to_string(limit.per_second));
  headers.emplace_back("X-RateLimit-Remaining", std::to_string(limit.per_second - second.count));
  return std::nullopt;
}

} // namespace sluice::zoom_emulator
