#pragma once
// Building HttpError messages in one place, so none of them can pick up a header or body.

#include "sluice_zoom/http/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>

#include <chrono>
#include <string>

namespace sluice::zoom::http::detail {

// What is being attempted, for messages: "GET https://api.zoom.us:443/v2/users/me" (the
// query is left out: it may carry codes or tokens).
struct Attempt {
  std::string description;
};

struct FailureFacts {
  FailureStage stage = FailureStage::receive;
  boost::system::error_code error;
  bool may_have_been_processed = false;
  bool timed_out = false;
  std::chrono::milliseconds timeout{0}; // shown when timed_out
  std::string detail;                   // e.g. the certificate verification result
};

// Facts for `error` at `stage`; a Beast timeout sets timed_out (and `timeout` is shown).
FailureFacts failure_facts(FailureStage stage, boost::system::error_code error,
                           std::chrono::milliseconds timeout = {});

HttpError make_http_error(const Attempt& attempt, const FailureFacts& facts);

// The caller's coroutine was cancelled: report it as operation_aborted, not as HttpError.
void throw_if_cancelled(const boost::asio::cancellation_state& state);

} // namespace sluice::zoom::http::detail
