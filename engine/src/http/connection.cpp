// Opening connections: name lookup, TCP connect and TLS handshake, each under a deadline.

#include "connection.hpp"

#include "tls.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include <cerrno>
#include <sys/socket.h>
#include <vector>

namespace sluice::http::detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

Connection::Connection(asio::any_io_executor io, asio::ssl::context* tls) {
  if (tls)
    tls_ = std::make_unique<TlsStream>(io, *tls);
  else
    plain_.emplace(io);
}

Connection::~Connection() {
  close();
}

void Connection::close() {
  boost::system::error_code ignored;
  tcp().close(ignored);
}

bool Connection::unusable_while_idle() {
  Socket& socket = tcp();
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

// Shared with the pending wait: its handler may run after the Deadline is gone.
struct Deadline::State {
  explicit State(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  Connection::Socket* socket = nullptr; // null once disarmed
  bool expired = false;
};

Deadline::Deadline(const asio::any_io_executor& executor, Connection::Socket& socket,
                   Clock::time_point at)
    : state_(std::make_shared<State>(executor)) {
  state_->socket = &socket;
  state_->timer.expires_at(at);
  state_->timer.async_wait([state = state_](boost::system::error_code error) {
    if (error || !state->socket)
      return;
    state->expired = true;
    boost::system::error_code ignored;
    state->socket->cancel(ignored);
  });
}

Deadline::~Deadline() {
  state_->socket = nullptr;
  state_->timer.cancel();
}

bool Deadline::expired() const {
  return state_->expired;
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
// cancellation then act at once, and a late answer is dropped by the shared state. The
// answer's handler runs on the caller's executor (the resolver's), like the timer.
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
    throw make_http_error(attempt,
                          timeout_facts(HttpFailureStage::resolve, options.connect_timeout));
  }
  if (state->error || state->endpoints.empty())
    throw make_http_error(attempt,
                          failure_facts(HttpFailureStage::resolve,
                                        state->error ? state->error : asio::error::host_not_found));
  co_return std::move(state->endpoints);
}

} // namespace

asio::awaitable<std::unique_ptr<Connection>>
open_connection(const Url& origin, const ClientOptions& options, asio::any_io_executor io,
                asio::ssl::context* tls, const Attempt& attempt) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  const Clock::time_point connect_by = Clock::now() + options.connect_timeout;
  const std::vector<tcp::endpoint> endpoints =
      co_await resolve(origin, connect_by, options, attempt);

  auto connection =
      std::make_unique<Connection>(std::move(io), origin.scheme == "https" ? tls : nullptr);
  Connection::Socket& socket = connection->tcp();
  {
    Deadline deadline(executor, socket, connect_by);
    auto [connect_error, endpoint] =
        co_await asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable));
    if (connect_error) {
      if (deadline.expired())
        throw make_http_error(attempt,
                              timeout_facts(HttpFailureStage::connect, options.connect_timeout));
      throw_if_cancelled(co_await asio::this_coro::cancellation_state);
      throw make_http_error(attempt, failure_facts(HttpFailureStage::connect, connect_error));
    }
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored); // requests are one small write

  if (Connection::TlsStream* secure = connection->tls()) {
    if (auto error = prepare_tls_peer(secure->native_handle(), origin.host, options.verify_tls))
      throw make_http_error(attempt, failure_facts(HttpFailureStage::tls_handshake, error));
    Deadline deadline(executor, socket, Clock::now() + options.tls_timeout);
    auto [handshake_error] = co_await secure->async_handshake(asio::ssl::stream_base::client,
                                                              asio::as_tuple(asio::use_awaitable));
    if (handshake_error) {
      if (deadline.expired())
        throw make_http_error(attempt,
                              timeout_facts(HttpFailureStage::tls_handshake, options.tls_timeout));
      throw_if_cancelled(co_await asio::this_coro::cancellation_state);
      FailureFacts facts = failure_facts(HttpFailureStage::tls_handshake, handshake_error);
      facts.detail = verify_failure(secure->native_handle());
      throw make_http_error(attempt, facts);
    }
  }
  co_return connection;
}

} // namespace sluice::http::detail
