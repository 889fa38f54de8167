#pragma once
// Owns the listening socket of `sluice serve` and its connections: reads each request within
// limits (header bytes, body bytes, time to send the headers, idle keep-alive time), hands it
// to the handler as plain strings, and writes the answer. What the routes mean is
// api_routes.cpp's business; no Beast type leaves the .cpp.

#include <sluice/http.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
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

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<HttpHeader> headers;
  std::string body;
};

struct ServerLimits {
  std::size_t header_bytes = 16 * 1024;
  std::size_t body_bytes = 1024 * 1024;
  /// From the connection (or the previous answer) to the end of the request's headers: a
  /// client that sends slowly (slowloris) is cut off.
  std::chrono::milliseconds header_time{10000};
  /// To send the body once the headers are in.
  std::chrono::milliseconds body_time{30000};
};

using ServerHandler = std::function<boost::asio::awaitable<ServerResponse>(ServerRequest)>;

class HttpServer {
public:
  /// Listens on `host`:`port` (0: any free port). Throws std::system_error when it cannot.
  HttpServer(boost::asio::any_io_executor executor, const std::string& host, unsigned short port,
             ServerLimits limits, ServerHandler handler);
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
