#pragma once
// Zoom's rate limits (docs/zoom-api.md §4): per account, per second and per day by the
// endpoint's label and the plan; and per host user, 100 meeting create/update a UTC day.

#include "config.hpp"
#include "http_message.hpp"

#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <string>

namespace sluice::zoom_emulator {

enum class RateCategory { light, medium, heavy, resource_intensive };

class RateLimiter {
public:
  explicit RateLimiter(Plan plan) : plan_(plan) {}

  // Counts one request of `category`, and for create/update one against `host_user_id`
  // (empty: not a create/update). Returns the 429 answer when a limit is exceeded;
  // otherwise adds the X-RateLimit headers of the category to `response_headers`.
  std::optional<Response> admit(RateCategory category, const std::string& host_user_id,
                                std::time_t now,
                                std::vector<std::pair<std::string, std::string>>& headers);

private:
  struct Window {
    std::int64_t start = 0; // second (or UTC day) the count belongs to
    int count = 0;
  };
  struct Limits {
    int per_second = 0; // per minute for resource-intensive
    int per_day = 0;    // 0: no daily limit on this plan
  };
  Limits limits(RateCategory category) const;

  Plan plan_;
  std::map<RateCategory, Window> seconds_;
  std::map<RateCategory, Window> days_;
  std::map<std::string, Window> user_days_;
};

} // namespace sluice::zoom_emulator
