// Process-wide claims on created meetings. A lost create is reconciled by listing the user's
// meetings and adopting one that matches what was asked; several creates with the same topic
// and start time match the same meetings, so each meeting may be reported by one create only.
// Creates of other processes are not seen here: Zoom has no idempotency key to tell them apart.

#include "meeting_claims.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <unordered_set>
#include <utility>

namespace sluice::zoom {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto claim_lifetime = std::chrono::hours(1);

struct Claims {
  std::mutex mutex;
  std::unordered_set<std::int64_t> ids;
  std::deque<std::pair<Clock::time_point, std::int64_t>> by_age; // oldest first
};

std::atomic<int> in_flight{0};

Claims& claims() {
  static auto* all = new Claims(); // never destroyed: node coroutines may outlive statics
  return *all;
}

} // namespace

bool claim_meeting(std::int64_t meeting_id) {
  Claims& c = claims();
  const Clock::time_point now = Clock::now();
  std::lock_guard lock(c.mutex);
  while (!c.by_age.empty() && now - c.by_age.front().first > claim_lifetime) {
    c.ids.erase(c.by_age.front().second);
    c.by_age.pop_front();
  }
  if (!c.ids.insert(meeting_id).second)
    return false;
  c.by_age.emplace_back(now, meeting_id);
  return true;
}

CreateInFlight::CreateInFlight() {
  in_flight.fetch_add(1);
}

CreateInFlight::~CreateInFlight() {
  in_flight.fetch_sub(1);
}

int creates_in_flight() noexcept {
  return in_flight.load();
}

} // namespace sluice::zoom
