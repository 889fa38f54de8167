#pragma once
// Owns the listening socket of `sluice serve` and its connections (plain or TLS): reads each
// request within limits (header bytes, body bytes, time to send the headers, requests in
// flight per client), hands it to the handler as plain strings, and writes the answer, whole
// or as a stream (Server-Sent Events). What the routes mean is api_routes.cpp's business; no
// Beast type leaves the .cpp.

#include <sluice/http.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::service {

struct ServerRequest {
  std::string method;
  std::string target; ///< path and query, as sent
  std::vector<HttpHeader> headers;
  std::string body;
  std::string peer; ///< the client's address, for limits and logs

  /// The first header named `name` (any case), or empty.
  std::string_view header(std::string_view name) const noexcept;
  std::string_view path() const noexcept;
  std::string_view query() const noexcept;
};

/// The pieces of a body made while it is sent: called after the headers went out, again
/// and again until it returns nullopt. An empty piece sends nothing (the stream is alive).
using BodyStream = std::function<boost::asio::awaitable<std::optional<std::string>>()>;

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<HttpHeader> headers;
  std::string body;
  /// When set, the body is this stream instead of `body`; the connection closes after it.
  BodyStream stream;
};

struct ServerLimits {
  std::size_t header_bytes = 16 * 1024;
  std::size_t body_bytes = 1024 * 1024;
  /// From the connection (or the previous answer) to the end of the request's headers: a
  /// client that sends slowly (slowloris) is cut off.
  std::chrono::milliseconds header_time{10000};
  /// To send the body once the headers are in.
  std::chrono::milliseconds body_time{30000};
  /// Requests of one client address being handled at once; more are answered 429.
  std::size_t requests_per_client = 64;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 0; ///< 0: any free port
  ServerLimits limits;
  /// TLS when both are set: a PEM certificate chain and its PEM private key.
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_private_key;
  /// Told the status of every answer (also of refusals the server makes itself).
  std::function<void(int status)> answered;
};

using ServerHandler = std::function<boost::asio::awaitable<ServerResponse>(ServerRequest)>;

class HttpServer {
public:
  /// Listens as `config` says. Throws std::system_error when it cannot listen, and
  /// std::invalid_argument when the TLS files cannot be used.
  HttpServer(boost::asio::any_io_executor executor, ServerConfig config, ServerHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  unsigned short port() const noexcept;
  /// Accepts connections from now on.
  void start();
  /// Stops accepting and closes every connection (answers being written are cut off).
  void stop();

  /// The socket, limits, handler and open connections (http_server.cpp), shared with the
  /// coroutines that serve them.
  struct State;

private:
  std::shared_ptr<State> state_;
};

} // namespace sluice::service
