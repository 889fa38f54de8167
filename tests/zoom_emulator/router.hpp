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

  // The first step of every request, once its request line and headers are in (`head`
  // has no body yet): draws the faults that fire for it. With `drop`, the server closes
  // the connection without reading the body or answering; the request is counted and
  // recorded (body null) here and never handled.
  struct Admission {
    std::optional<FaultAction> fault;
    bool drop = false;
  };
  Admission admit(const Request& head);
  // The second step, with the whole request and the faults `admit` drew for it.
  Response handle(const Request& request, const std::optional<FaultAction>& fault);

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
