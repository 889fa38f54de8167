#pragma once
// The emulator's front door: matches a request to its route, authenticates, checks
// scopes and rate limits, injects faults, counts, and stamps every answer with Zoom's
// tracking header.

#include "faults.hpp"
#include "http_message.hpp"
#include "rate_limit.hpp"
#include "state.hpp"

#include <fstream>

namespace sluice::zoom_emulator {

class Router {
public:
  explicit Router(EmulatorConfig config);

  // Called once the listening port is known: join/start URLs and api_url point here.
  void set_base_url(std::string url) { state_.set_base_url(std::move(url)); }
  Response handle(const Request& request);

private:
  Response dispatch(const Request& request, std::string& route);
  Response api(const Request& request, std::string& route);
  Response admin(const Request& request, std::string& route);
  void record(const Request& request);

  State state_;
  RateLimiter limiter_;
  FaultInjector faults_;
  std::uint64_t next_tracking_number_ = 1;
  std::ofstream recorder_; // open with --record-requests
};

} // namespace sluice::zoom_emulator
