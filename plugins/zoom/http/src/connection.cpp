// Opening connections: name lookup, TCP connect and TLS handshake, each under a deadline.

#include "connection.hpp"

#include "tls.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include <cerrno>
#include <sys/socket.h>
#include <vector>

namespace sluice::zoom::http::detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

Connection::Connection(asio::any_io_executor executor, asio::ssl::context* tls) {
  if (tls)
    tls_ = std::make_unique<TlsStream>(executor, *tls);
  else
    plain_.emplace(executor);
}

Connection::~Connection() {
  close();
}

void Connection::close() {
  tcp().close();
}

bool Connection::unusable_while_idle() {
  tcp::socket& socket = tcp().socket();
  if (!socket.is_open())
    return true;
  char byte = 0;
  const ssize_t got = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (got < 0)
    return errno != EAGAIN && errno != EWOULDBLOCK;
  if (got == 0)
    return true; // the server closed it while it sat in the pool
  // Unasked bytes on plain HTTP mean the connection is out of step. Over TLS they may be
  // session tickets or a key update, which only OpenSSL can tell from a close_notify; the
  // retry rule covers the close_notify case.
  return tls_ == nullptr;
}

namespace {

struct ResolveState {
  explicit ResolveState(const asio::any_io_executor& executor)
      : resolver(executor), timer(executor) {}
  tcp::resolver resolver;
  asio::steady_timer timer;
  bool done = false;
  boost::system::error_code error;
  std::vector<tcp::endpoint> endpoints;
};

// Asio resolves on a helper thread and cancelling it only takes effect once getaddrinfo
// returns, so the caller waits on a timer instead: the deadline and the caller's
// cancellation then act at once, and a late answer is dropped by the shared state.
asio::awaitable<std::vector<tcp::endpoint>> resolve(const Url& origin, Clock::time_point deadline,
                                                    const ClientOptions& options,
                                                    const Attempt& attempt) {
  boost::system::error_code not_an_address;
  const asio::ip::address address = asio::ip::make_address(origin.host, not_an_address);
  if (!not_an_address)
    co_return std::vector<tcp::endpoint>{tcp::endpoint(address, origin.port)};

  auto state = std::make_shared<ResolveState>(co_await asio::this_coro::executor);
  state->timer.expires_at(deadline);
  state->resolver.async_resolve(
      origin.host, std::to_string(origin.port),
      [state](boost::system::error_code error, const tcp::resolver::results_type& results) {
        state->done = true;
        state->error = error;
        for (const auto& entry : results)
          state->endpoints.push_back(entry.endpoint());
        state->timer.cancel();
      });
  co_await state->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!state->done) {
    state->resolver.cancel();
    throw_if_cancelled(co_await asio::this_coro::cancellation_state);
    throw make_http_error(attempt, failure_facts(FailureStage::resolve, beast::error::timeout,
                                                 options.connect_timeout));
  }
  if (state->error || state->endpoints.empty())
    throw make_http_error(attempt,
                          failure_facts(FailureStage::resolve,
                                        state->error ? state->error : asio::error::host_not_found));
  co_return std::move(state->endpoints);
}

} // namespace

asio::awaitable<std::unique_ptr<Connection>> open_connection(const Url& origin,
                                                             const ClientOptions& options,
                                                             asio::ssl::context* tls,
                                                             const Attempt& attempt) {
  const Clock::time_point deadline = Clock::now() + options.connect_timeout;
  const std::vector<tcp::endpoint> endpoints = co_await resolve(origin, deadline, options, attempt);

  auto connection = std::make_unique<Connection>(co_await asio::this_coro::executor,
                                                 origin.scheme == "https" ? tls : nullptr);
  beast::tcp_stream& stream = connection->tcp();
  stream.expires_at(deadline);
  auto [connect_error, endpoint] =
      co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
  if (connect_error) {
    throw_if_cancelled(co_await asio::this_coro::cancellation_state);
    throw make_http_error(
        attempt, failure_facts(FailureStage::connect, connect_error, options.connect_timeout));
  }
  boost::system::error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored); // requests are one small write

  if (Connection::TlsStream* secure = connection->tls()) {
    if (auto error = prepare_tls_peer(secure->native_handle(), origin.host, options.verify_tls))
      throw make_http_error(attempt, failure_facts(FailureStage::tls_handshake, error));
    stream.expires_after(options.tls_timeout);
    auto [handshake_error] = co_await secure->async_handshake(asio::ssl::stream_base::client,
                                                              asio::as_tuple(asio::use_awaitable));
    if (handshake_error) {
      throw_if_cancelled(co_await asio::this_coro::cancellation_state);
      FailureFacts facts =
          failure_facts(FailureStage::tls_handshake, handshake_error, options.tls_timeout);
      facts.detail = verify_failure(secure->native_handle());
      throw make_http_error(attempt, facts);
    }
  }
  stream.expires_never();
  co_return connection;
}

} // namespace sluice::zoom::http::detail
