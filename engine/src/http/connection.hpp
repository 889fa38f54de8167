#pragma once
// One HTTP/1.1 connection (plain TCP or TLS over TCP), how it is opened, and the deadline
// that bounds each stage of its use.

#include "client.hpp"
#include "failure.hpp"

#include <sluice/url.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace sluice::http::detail {

class Connection {
public:
  using Socket = boost::asio::ip::tcp::socket;
  using TlsStream = boost::asio::ssl::stream<Socket>;

  // `tls` is null for plain http.
  Connection(boost::asio::any_io_executor io, boost::asio::ssl::context* tls);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Socket& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
  Socket* plain() { return plain_ ? &*plain_ : nullptr; }
  TlsStream* tls() { return tls_.get(); }

  // True when an idle connection cannot carry another request: the peer closed it (EOF),
  // reset it, or sent something unasked. Non-blocking.
  bool unusable_while_idle();
  // Closes the socket without a TLS close_notify (a close_notify exchange could block on a
  // dead peer; HTTP/1.1 framing already tells where the response ends).
  void close();

  std::size_t exchanges = 0; // complete responses read; > 0 means the next send is a reuse
  std::chrono::steady_clock::time_point idle_since;
  // The event loop (Asio execution context) whose reactor the socket is registered with.
  const void* loop = nullptr;

private:
  std::optional<Socket> plain_;
  std::unique_ptr<TlsStream> tls_;
};

// Cancels the operations on `socket` when `at` passes. The timer runs on the executor of the
// coroutine that creates it (a strand), as do the socket operations' completions, so the
// expiry and the operations never race. Destroying it disarms it.
class Deadline {
public:
  Deadline(const boost::asio::any_io_executor& executor, Connection::Socket& socket,
           std::chrono::steady_clock::time_point at);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  // Whether it passed (and cancelled the socket's operations).
  bool expired() const;

private:
  struct State;
  std::shared_ptr<State> state_;
};

// Resolves (unless the host is an IP literal), connects and, for https, handshakes within
// the options' timeouts. Throws HttpError, or system_error(operation_aborted) when the
// caller is cancelled.
boost::asio::awaitable<std::unique_ptr<Connection>>
open_connection(const Url& origin, const ClientOptions& options, boost::asio::any_io_executor io,
                boost::asio::ssl::context* tls, const Attempt& attempt);

} // namespace sluice::http::detail
