#pragma once
// The Zoom plugin's HTTP(S) client: HTTP/1.1 over TCP or TLS, coroutines, keep-alive pool.
//
// This header deliberately pulls in no Beast or Asio SSL header (they are heavy and every
// file of the plugin includes this one); the Beast code lives in the library's .cpp files.

#include "sluice_zoom/http/error.hpp"
#include "sluice_zoom/http/url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::zoom::http {

// Every member of these structs has a default initializer, so designated initializers
// (`{.method = "GET", .url = u}`) compile without -Wmissing-field-initializers on GCC 12.

struct Header {
  std::string name{};
  std::string value{};
};

struct Request {
  std::string method{};          ///< "GET", "POST", "PATCH", "DELETE", ...
  std::string url{};             ///< absolute http(s) URL; may carry a query, not a fragment
  std::vector<Header> headers{}; ///< e.g. Authorization; the client sets Host
  std::string body{};
  /// False for requests that must never be sent twice without the caller's say-so (POST
  /// create): they are not retried on a reused connection that turned out to be closed.
  bool idempotent = true;
  /// The whole send (connection, TLS, request and response) ends within this, whatever the
  /// per-stage ClientOptions say; 0: only those apply. A caller with a deadline of its own
  /// (retries included) passes what is left of it.
  std::chrono::milliseconds timeout{0};
};

struct Response {
  int status = 0;
  std::vector<Header> headers{}; ///< names as received, in order
  std::string body{};            ///< decoded from chunked transfer coding when needed
  /// True when this answer is to a second sending (see the retry rule below): the first went
  /// out on a reused connection that closed before any answer, and the server may have acted
  /// on it (a DELETE answered 404 the second time may have been done by the first).
  bool resent = false;

  /// The first header called `name` (case-insensitive), or "" when there is none.
  std::string header(std::string_view name) const;
};

struct ClientOptions {
  /// A PEM bundle of extra CAs (a private CA, the emulator's test CA). It is trusted IN
  /// ADDITION to the system CAs, so setting it never breaks calls to the real Zoom.
  std::string ca_file{};
  /// Plain http to a host that is not loopback is refused unless this is set: the requests
  /// carry bearer tokens and client secrets.
  bool allow_insecure_http = false;
  /// Certificate and host-name verification. Only tests of the refusal turn this off;
  /// anything exposing it to users must give it a name that says "insecure".
  bool verify_tls = true;
  std::chrono::milliseconds connect_timeout{10'000};  ///< name lookup + TCP connect
  std::chrono::milliseconds tls_timeout{10'000};      ///< TLS handshake
  std::chrono::milliseconds response_timeout{30'000}; ///< writing the request + whole response
  /// Requests beyond this many open connections to one origin wait (first come, first
  /// served) for a connection to come free.
  std::size_t max_connections_per_origin = 16;
  /// Idle keep-alive connections older than this are closed instead of reused (Zoom's
  /// servers close idle connections after about a minute; reusing one that the server is
  /// closing wastes a round trip). Checked whenever a request starts: no background timer.
  std::chrono::seconds idle_timeout{50};
  /// Larger response bodies fail with FailureStage::response_too_large.
  std::size_t max_response_bytes = 16 << 20;
};

namespace detail {
class ClientCore;
}

/// Sends HTTP/1.1 requests, keeping connections alive per origin (scheme, host, port).
///
/// HTTPS verifies the server's certificate chain (system CAs plus ClientOptions::ca_file)
/// and that it names the URL's host (DNS name, or IP address for an IP literal); SNI is set
/// for DNS names.
///
/// Thread model: all calls come from coroutines running on `executor`, which must be
/// single-threaded (an io_context run by one thread, or a strand). Nothing is locked. The
/// Client must outlive every send() it started.
///
/// Retry rule: a request is sent again (once, on a new connection) only when it went out on
/// a reused keep-alive connection, failed before any byte of the response arrived with the
/// signs of a connection the server had closed while idle (EOF, reset, broken pipe), and is
/// idempotent. Everything else is the caller's decision.
///
/// Cancellation: send() honours the awaiting coroutine's cancellation (terminal, which is
/// all an awaitable lets through unless the caller widens its filter) at every step,
/// including name lookup and waiting for a connection slot. The connection in use
/// is closed, never pooled, and send() throws boost::system::system_error with
/// boost::asio::error::operation_aborted (not HttpError: nothing failed, the caller stopped).
///
/// Example:
/// \code
///   http::Client client(co_await boost::asio::this_coro::executor, {});
///   http::Response r = co_await client.send(
///       {.method = "GET", .url = "https://api.zoom.us/v2/users/me",
///        .headers = {{"Authorization", "Bearer " + token}}});
/// \endcode
class Client {
public:
  /// Throws std::invalid_argument when options.ca_file cannot be loaded.
  Client(boost::asio::any_io_executor executor, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Sends `request` and reads the whole response. Throws HttpError when the exchange
  /// fails, std::invalid_argument when the request can never succeed (malformed URL,
  /// unknown method, plain http to a non-loopback host without allow_insecure_http; these
  /// are refused before connecting), and system_error(operation_aborted) when cancelled.
  boost::asio::awaitable<Response> send(Request request);

  /// Closes every idle pooled connection (shutdown, tests). Connections in use are kept.
  void close_idle();

  struct Stats {
    std::size_t connections_opened = 0; ///< TCP connections established
    std::size_t requests_sent = 0;      ///< attempts that started writing, retries included
    std::size_t reused = 0;             ///< of those, the ones on a pooled connection
  };
  Stats stats() const;

  const ClientOptions& options() const;

private:
  std::unique_ptr<detail::ClientCore> core_;
};

} // namespace sluice::zoom::http
