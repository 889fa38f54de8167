#pragma once
// The one exception a failed HTTP exchange throws.

#include <boost/system/error_code.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace sluice::zoom::http {

/// Where an exchange failed.
enum class FailureStage {
  resolve,            ///< host name lookup
  connect,            ///< TCP connect
  tls_handshake,      ///< TLS handshake, including certificate and host-name verification
  send,               ///< writing the request
  receive,            ///< reading the response (including a connection closed early)
  response_too_large, ///< the response exceeded ClientOptions::max_response_bytes
  protocol,           ///< the peer did not speak HTTP/1.x
};

/// "resolve", "connect", "TLS handshake", ...
std::string_view to_string(FailureStage stage);

/// A transport failure of Client::send. HTTP error statuses (4xx, 5xx) are not failures:
/// they come back as a Response.
///
/// what() names the method, the host:port and path (never the query), the stage and the
/// system's error text. It never contains header values or bodies: they hold tokens.
class HttpError : public std::runtime_error {
public:
  HttpError(std::string message, FailureStage stage, boost::system::error_code error,
            bool request_may_have_been_processed, bool timed_out);

  FailureStage stage() const { return stage_; }
  /// The underlying error (e.g. connection refused, beast::error::timeout).
  boost::system::error_code error() const { return error_; }
  /// True when the request was (even partly) written and no complete response was read:
  /// the server may have acted on it, so the caller must reconcile a non-idempotent request
  /// (e.g. list meetings to see whether a create happened) before sending it again.
  bool request_may_have_been_processed() const { return may_have_been_processed_; }
  /// True when a ClientOptions timeout expired (the stage says which one).
  bool timed_out() const { return timed_out_; }

private:
  FailureStage stage_;
  boost::system::error_code error_;
  bool may_have_been_processed_;
  bool timed_out_;
};

} // namespace sluice::zoom::http
