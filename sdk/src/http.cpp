// The plain types of the HTTP service (sluice/http.hpp): HttpError, the names of the failure
// stages, header lookup. The client itself lives in the engine (engine/src/http/).

#include <sluice/ascii.hpp>
#include <sluice/http.hpp>

#include <algorithm>

namespace sluice {

std::string_view to_string(HttpFailureStage stage) noexcept {
  switch (stage) {
  case HttpFailureStage::resolve:
    return "name lookup";
  case HttpFailureStage::connect:
    return "connect";
  case HttpFailureStage::tls_handshake:
    return "TLS handshake";
  case HttpFailureStage::send:
    return "sending the request";
  case HttpFailureStage::receive:
    return "receiving the response";
  case HttpFailureStage::response_too_large:
    return "response size limit";
  case HttpFailureStage::protocol:
    return "HTTP protocol";
  case HttpFailureStage::refused:
    return "refused before sending";
  }
  return "unknown stage";
}

HttpError::HttpError(std::string message, HttpFailureStage stage, boost::system::error_code error,
                     bool request_may_have_been_processed, bool timed_out)
    : std::runtime_error(std::move(message)), stage_(stage), error_(error),
      may_have_been_processed_(request_may_have_been_processed), timed_out_(timed_out) {
}

HttpError::~HttpError() = default;

std::string HttpResponse::header(std::string_view name) const {
  const auto same = [name](const HttpHeader& header) { return ascii::iequals(header.name, name); };
  const auto found = std::find_if(headers.begin(), headers.end(), same);
  return found == headers.end() ? std::string() : found->value;
}

HttpClient::~HttpClient() = default;

} // namespace sluice
