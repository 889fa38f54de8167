// HttpError messages: what was attempted, the stage, the system error; nothing else.

#include "failure.hpp"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/system_error.hpp>

namespace sluice::zoom::http::detail {

FailureFacts failure_facts(FailureStage stage, boost::system::error_code error,
                           std::chrono::milliseconds timeout) {
  FailureFacts facts;
  facts.stage = stage;
  facts.error = error;
  facts.timed_out = error == boost::beast::error::timeout;
  facts.timeout = timeout;
  return facts;
}

HttpError make_http_error(const Attempt& attempt, const FailureFacts& facts) {
  std::string message = attempt.description + ": " + std::string(to_string(facts.stage));
  if (facts.timed_out) {
    message += " timed out after " + std::to_string(facts.timeout.count()) + " ms";
  } else {
    message += " failed: " + facts.error.message();
  }
  if (!facts.detail.empty())
    message += " (" + facts.detail + ")";
  if (facts.may_have_been_processed)
    message += "; the server may have processed the request";
  return HttpError(std::move(message), facts.stage, facts.error, facts.may_have_been_processed,
                   facts.timed_out);
}

void throw_if_cancelled(const boost::asio::cancellation_state& state) {
  if (state.cancelled() != boost::asio::cancellation_type::none)
    throw boost::system::system_error(boost::asio::error::operation_aborted);
}

} // namespace sluice::zoom::http::detail
