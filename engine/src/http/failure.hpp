#pragma once
// Building HttpError messages in one place, so none of them can pick up a header or body.

#include <sluice/http.hpp>
#include <sluice/url.hpp>

#include <boost/asio/cancellation_state.hpp>

#include <chrono>
#include <string>

namespace sluice::http::detail {

// What is being attempted, for messages: "GET https://api.zoom.us:443/v2/users/me" (the
// query is left out: it may carry codes or tokens).
struct Attempt {
  std::string description;
};
Attempt attempt_for(const std::string& method, const RequestUrl& url);

struct FailureFacts {
  HttpFailureStage stage = HttpFailureStage::receive;
  boost::system::error_code error;
  bool may_have_been_processed = false;
  bool timed_out = false;
  std::chrono::milliseconds timeout{0}; // shown when timed_out
  std::string detail;                   // e.g. the certificate verification result
};

// Facts for `error` at `stage`.
FailureFacts failure_facts(HttpFailureStage stage, boost::system::error_code error);
// Facts for a stage whose `timeout` expired.
FailureFacts timeout_facts(HttpFailureStage stage, std::chrono::milliseconds timeout);

HttpError make_http_error(const Attempt& attempt, const FailureFacts& facts);

// The caller's coroutine was cancelled: report it as operation_aborted, not as HttpError.
void throw_if_cancelled(const boost::asio::cancellation_state& state);

} // namespace sluice::http::detail
