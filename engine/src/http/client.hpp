#pragma once
// The engine's HTTP(S) client behind `sluice::HttpClient`: HTTP/1.1 over TCP or TLS on the
// awaiting coroutine's executor, keep-alive pools per origin shared by every caller.
//
// No Beast or Asio SSL header here (they are heavy); the Beast code lives in the .cpp files.

#include <sluice/http.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace sluice::http {

struct ClientOptions {
  /// Certificate and host-name verification. Only tests of the refusal turn this off;
  /// anything exposing it to users must give it a name that says "insecure".
  bool verify_tls = true;
  std::chrono::milliseconds connect_timeout{10'000};  ///< name lookup + TCP connect
  std::chrono::milliseconds tls_timeout{10'000};      ///< TLS handshake
  std::chrono::milliseconds response_timeout{30'000}; ///< writing the request + whole response
  /// Requests beyond this many open connections to one origin wait (first come, first
  /// served) for a connection to come free. A for_each with concurrency 32 gets 32 requests
  /// in flight; services' rate limits are paced by their plugins, not by starving connections.
  std::size_t max_connections_per_origin = 32;
  /// Idle keep-alive connections older than this are closed instead of reused (servers such
  /// as Zoom's close idle connections after about a minute; reusing one that the server is
  /// closing wastes a round trip). Checked whenever a request starts: no background timer.
  std::chrono::seconds idle_timeout{50};
  /// Larger response bodies fail with HttpFailureStage::response_too_large.
  std::size_t max_response_bytes = 16 << 20;
};

namespace detail {
class ClientCore;
}

/// Sends HTTP/1.1 requests (see sluice/http.hpp for the contract).
///
/// Thread model: send() may be called from any thread, by coroutines whose executor runs
/// one handler at a time (a strand, or an io_context run by one thread): its timers and
/// socket operations complete there, and the connections it opens belong to that executor's
/// event loop. The pools are shared under a mutex; a connection is used by one send() at a
/// time, preferably by one running on the loop it belongs to. The Client must outlive every
/// send() it started, and the event loops it was used from must outlive the Client.
class Client final : public HttpClient {
public:
  explicit Client(ClientOptions options);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  boost::asio::awaitable<HttpResponse> send(HttpRequest request) override;

  /// Closes every idle pooled connection (shutdown, tests). Connections in use are kept.
  void close_idle();

  struct Stats {
    std::size_t connections_opened = 0; ///< TCP connections established
    std::size_t requests_sent = 0;      ///< attempts that started writing, resends included
    std::size_t reused = 0;             ///< of those, the ones on a pooled connection
  };
  Stats stats() const;

  const ClientOptions& options() const;

private:
  std::unique_ptr<detail::ClientCore> core_;
};

} // namespace sluice::http
