// HttpError and the names of the failure stages.

#include "sluice_zoom/http/error.hpp"

namespace sluice::zoom::http {

std::string_view to_string(FailureStage stage) {
  switch (stage) {
  case FailureStage::resolve:
    return "name lookup";
  case FailureStage::connect:
    return "connect";
  case FailureStage::tls_handshake:
    return "TLS handshake";
  case FailureStage::send:
    return "sending the request";
  case FailureStage::receive:
    return "receiving the response";
  case FailureStage::response_too_large:
    return "response size limit";
  case FailureStage::protocol:
    return "HTTP protocol";
  }
  return "unknown stage";
}

HttpError::HttpError(std::string message, FailureStage stage, boost::system::error_code error,
                     bool request_may_have_been_processed, bool timed_out)
    : std::runtime_error(std::move(message)), stage_(stage), error_(error),
      may_have_been_processed_(request_may_have_been_processed), timed_out_(timed_out) {
}

} // namespace sluice::zoom::http
