// HttpError messages: what was attempted, the stage, the system error; nothing else.

#include "failure.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace sluice::http::detail {

Attempt attempt_for(const std::string& method, const RequestUrl& url) {
  return {method + " " + url.origin.scheme + "://" + url.origin.host + ":" +
          std::to_string(url.origin.port) + url.origin.path};
}

FailureFacts failure_facts(HttpFailureStage stage, boost::system::error_code error) {
  FailureFacts facts;
  facts.stage = stage;
  facts.error = error;
  return facts;
}

FailureFacts timeout_facts(HttpFailureStage stage, std::chrono::milliseconds timeout) {
  FailureFacts facts = failure_facts(stage, boost::asio::error::timed_out);
  facts.timed_out = true;
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

} // namespace sluice::http::detail
