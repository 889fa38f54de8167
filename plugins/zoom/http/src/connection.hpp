#pragma once
// One HTTP/1.1 connection (plain TCP or TLS over TCP) and how it is opened.

#include "failure.hpp"
#include "sluice_zoom/http/client.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace sluice::zoom::http::detail {

class Connection {
public:
  using TlsStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

  // `tls` is null for plain http.
  Connection(boost::asio::any_io_executor executor, boost::asio::ssl::context* tls);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  boost::beast::tcp_stream& tcp() { return tls_ ? tls_->next_layer() : *plain_; }
  boost::beast::tcp_stream* plain() { return plain_ ? &*plain_ : nullptr; }
  TlsStream* tls() { return tls_.get(); }

  // True when an idle connection cannot carry another request: the peer closed it (EOF),
  // reset it, or sent something unasked. Non-blocking.
  bool unusable_while_idle();
  // Closes the socket without a TLS close_notify (a close_notify exchange could block on a
  // dead peer; HTTP/1.1 framing already tells where the response ends).
  void close();

  std::size_t exchanges = 0; // complete responses read; > 0 means the next send is a reuse
  std::chrono::steady_clock::time_point idle_since;

private:
  std::optional<boost::beast::tcp_stream> plain_;
  std::unique_ptr<TlsStream> tls_;
};

// Resolves (unless the host is an IP literal), connects and, for https, handshakes within
// the options' timeouts. Throws HttpError, or system_error(operation_aborted) when the
// caller is cancelled.
boost::asio::awaitable<std::unique_ptr<Connection>> open_connection(const Url& origin,
                                                                    const ClientOptions& options,
                                                                    boost::asio::ssl::context* tls,
                                                                    const Attempt& attempt);

} // namespace sluice::zoom::http::detail
