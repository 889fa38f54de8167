#pragma once
// Scripted misbehaviour for clients' error paths: latency, 5xx, 429 storms, dropped
// connections (before processing, or after processing but before answering), partial
// and malformed bodies, early token expiry. Each rule fires with a probability or on the
// Nth matching request; the random draws come from the --seed generator.

#include "http_message.hpp"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace sluice::zoom_emulator {

enum class FaultKind {
  latency,                 // delay the answer by `ms`
  status,                  // answer `status` with {code, message} instead of processing
  rate_limit_storm,        // answer 429 with Zoom's headers instead of processing
  close_before_processing, // drop the connection; the request has no effect
  close_after_processing,  // process the request, then drop the connection unanswered
  partial_body,            // process, send half the body, drop the connection
  not_http,                // process, answer with bytes that are not HTTP, drop the connection
  slow_body,               // process, deliver the body in pieces spread over `ms`
  malformed_json,          // process, answer with a truncated JSON body
  expire_token,            // expire the caller's access token before processing
};

struct FaultRule {
  FaultKind kind = FaultKind::latency;
  std::string method;       // empty: any
  std::string path_prefix;  // empty: any
  double probability = 1.0; // used when nth == 0
  std::uint64_t nth = 0;    // fire on the Nth matching request only
  std::int64_t times = -1;  // fire at most this often; -1: unlimited
  int ms = 0;
  int status = 500;
  int code = 500;
  std::string message = "Internal Server Error";
  std::uint64_t matched = 0;
};

struct FaultAction {
  std::optional<Response> replacement; // answer this instead of processing
  int delay_ms = 0;
  int slow_body_ms = 0;
  ConnectionFault connection = ConnectionFault::none;
  bool malformed_json = false;
  bool expire_token = false;
};

class FaultInjector {
public:
  explicit FaultInjector(std::mt19937_64& random) : random_(random) {}

  // Replaces the rules with those in `json` (`{"faults": [...]}` or the array alone).
  // Returns an error message when the specification is invalid (the old rules stay).
  std::optional<std::string> configure(const std::string& json);
  void clear() { rules_.clear(); }

  // The faults that fire for `request`, if any.
  std::optional<FaultAction> before(const Request& request);
  // Applies the post-processing part of `action` to the answer.
  void apply(const FaultAction& action, Response& response) const;

private:
  std::mt19937_64& random_;
  std::vector<FaultRule> rules_;
};

} // namespace sluice::zoom_emulator
