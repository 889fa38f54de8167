#pragma once
// Zoom's error answers (docs/zoom-api.md §3) as NodeErrors a user can act on: what happened,
// with Zoom's own words, code and tracking id, and what to do.

#include <sluice/error.hpp>
#include <sluice/value.hpp>

#include <chrono>
#include <string>

namespace sluice::zoom {

/// What was asked, for the message: "get meeting 85746065432", "create a meeting for me".
struct CallDescription {
  std::string action;     ///< e.g. "get meeting 85746065432"
  std::string connection; ///< the connection name
  std::string scope;      ///< the granular scope the call needs (docs/zoom-api.md §5)
};

/// One answer of the API, as the caller sees it.
struct ApiAnswer {
  int status = 0;
  Value body; ///< parsed JSON, or null for an empty body (204)
  std::string tracking_id;
  std::string retry_after;     ///< the Retry-After header, raw
  std::string rate_limit_type; ///< X-RateLimit-Type ("QPS", "Daily-limit") or ""
  /// An earlier attempt of this request was sent and lost (the connection dropped after
  /// sending): Zoom may have acted on it already (a DELETE now answering 404).
  bool after_lost_attempt = false;
};

/// The NodeError for a non-2xx answer.
NodeError error_for(const ApiAnswer& answer, const CallDescription& call,
                    std::chrono::system_clock::time_point now);

} // namespace sluice::zoom
