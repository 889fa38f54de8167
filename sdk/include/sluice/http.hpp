#pragma once
/// @file
/// Outbound HTTP(S) as an engine service (SDK ABI 1.6). A node sends requests with
/// `co_await ctx.http().send(request)`; a connection provider with `ctx.http()` too. The
/// engine owns the client: certificate and host-name verification, keep-alive pools shared by
/// every run of an `Engine`, timeouts, size limits, cancellation, and the one place where
/// every request can be observed, recorded, answered from a recording or refused.
///
/// ```
/// sluice::HttpRequest request;
/// request.method = "GET";
/// request.url = "https://api.example.com/v1/items";
/// request.query = {{"page", "2"}};
/// request.headers = {{"Authorization", "Bearer " + token.reveal()}};
/// request.secrets = {token}; // so a recording shows "[redacted]" wherever it appears
/// sluice::HttpResponse response = co_await ctx.http().send(std::move(request));
/// if (response.status == 200) ... sluice::Value::parse_json(response.body) ...
/// ```
///
/// Only plain types here: no Beast, no Asio beyond `awaitable`.

#include <sluice/credentials.hpp>
#include <sluice/export.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

// Every member of these structs has a default initializer, so designated initializers
// (`{.method = "GET", .url = u}`) compile without -Wmissing-field-initializers.

struct HttpHeader {
  std::string name{};
  std::string value{};
};

struct HttpRequest {
  std::string method{};              ///< "GET", "POST", "PATCH", "DELETE", ...
  std::string url{};                 ///< absolute http(s) URL; may carry a query
  std::vector<HttpHeader> headers{}; ///< the client sets Host (and User-Agent if absent)
  /// Appended to the URL's query, each name and value percent-encoded by the client.
  std::vector<std::pair<std::string, std::string>> query{};
  std::string body{};
  /// The whole send (connection, TLS, request and response) ends within this; 0: the
  /// engine's per-stage timeouts only. A caller with a deadline of its own passes what is
  /// left of it.
  std::chrono::milliseconds timeout{0};
  /// False for requests that must never be sent twice without the caller's say-so (a POST
  /// that creates): they are not resent when a reused connection turns out to be closed.
  bool idempotent = true;
  /// The connection whose credentials authorise this request (for records and messages).
  std::string connection{};
  /// Values this request carries that must never be shown: the tokens and client secrets the
  /// caller put into a header, the query or the body. Observers and recordings see
  /// "[redacted]" wherever one appears, in the request and in the response. The
  /// `Authorization`, `Proxy-Authorization` and `Cookie` headers are always redacted.
  std::vector<Secret> secrets{};
  /// Names of fields of a JSON (or form) response body whose values are secrets, e.g.
  /// `access_token` and `refresh_token` of a token endpoint's answer.
  std::vector<std::string> secret_response_fields{};
  /// A PEM bundle of extra CAs trusted in addition to the system's (a private CA).
  std::string ca_file{};
  /// Plain http to a host that is not loopback is refused unless this is set: requests
  /// carry tokens.
  bool allow_insecure_http = false;
  /// The largest response body accepted; a longer one (even an endless one) fails with
  /// `HttpFailureStage::response_too_large` as soon as it passes the limit. 0: the engine's
  /// limit (16 MiB unless the embedding application set another).
  std::size_t max_response_bytes = 0;
  /// True for a request of the credential layer that obtains or refreshes a token: a dry run
  /// lets it through (its reads need the token), though its method is POST.
  bool obtains_credentials = false;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers{}; ///< names as received, in order
  std::string body{};                ///< decoded from chunked transfer coding when needed
  /// True when this answers a second sending: the first went out on a reused connection
  /// that closed before any answer, and the server may have acted on it.
  bool resent = false;

  /// The first header called `name` (case-insensitive), or "" when there is none.
  SLUICE_SDK_API std::string header(std::string_view name) const;
};

/// Where an exchange failed.
enum class HttpFailureStage {
  resolve,            ///< host name lookup
  connect,            ///< TCP connect
  tls_handshake,      ///< TLS handshake, including certificate and host-name verification
  send,               ///< writing the request
  receive,            ///< reading the response (including a connection closed early)
  response_too_large, ///< the response exceeded the engine's size limit
  protocol,           ///< the peer did not speak HTTP/1.x
  refused,            ///< an interceptor refused to let it be sent (nothing was sent)
};
/// "resolve", "connect", "TLS handshake", ...
SLUICE_SDK_API std::string_view to_string(HttpFailureStage stage) noexcept;

/// A failed exchange. HTTP error statuses (4xx, 5xx) are not failures: they come back as an
/// `HttpResponse`. what() names the method, host:port and path (never the query), the stage
/// and the system's error text; never a header value or a body.
class SLUICE_SDK_API HttpError : public std::runtime_error {
public:
  HttpError(std::string message, HttpFailureStage stage, boost::system::error_code error,
            bool request_may_have_been_processed, bool timed_out);
  ~HttpError() override;

  HttpFailureStage stage() const noexcept { return stage_; }
  /// The underlying error (connection refused, a timeout...).
  boost::system::error_code error() const noexcept { return error_; }
  /// True when the request was (even partly) written and no complete response was read:
  /// the server may have acted on it, so a non-idempotent request must be reconciled
  /// (e.g. list what exists) before it is sent again.
  bool request_may_have_been_processed() const noexcept { return may_have_been_processed_; }
  /// True when a timeout expired (the stage says which).
  bool timed_out() const noexcept { return timed_out_; }
  /// Whether trying again could succeed: false for a response over the size limit, a peer
  /// that does not speak HTTP, and a refusal.
  bool can_get_better() const noexcept {
    return stage_ != HttpFailureStage::response_too_large && stage_ != HttpFailureStage::protocol &&
           stage_ != HttpFailureStage::refused;
  }

private:
  HttpFailureStage stage_;
  boost::system::error_code error_;
  bool may_have_been_processed_;
  bool timed_out_;
};

/// The engine's HTTP(S) client, from `Context::http()` or `ProviderContext::http()`.
///
/// `send` runs on the awaiting coroutine's executor: no thread of its own, no hop. It
/// throws `HttpError` when the exchange fails, `std::invalid_argument` when the request can
/// never succeed (malformed URL, unknown method, a header with a line break, plain http to a
/// host that is not loopback; refused before connecting), and `boost::system::system_error`
/// with `operation_aborted` when the awaiting coroutine is cancelled.
///
/// A request is sent a second time (once, on a new connection) only when it went out on a
/// reused keep-alive connection, failed before any byte of the answer with the signs of a
/// connection the server had closed while idle, and is idempotent. Everything else (429,
/// 5xx, timeouts) is the caller's decision; `sluice/rate_limit.hpp` helps with 429.
class SLUICE_SDK_API HttpClient {
public:
  virtual ~HttpClient();
  virtual boost::asio::awaitable<HttpResponse> send(HttpRequest request) = 0;
};

} // namespace sluice
