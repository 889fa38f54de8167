// TLS sessions: handshake, the shared HTTP loop, then a best-effort TLS shutdown.

#include "session.hpp"
#include "session_impl.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

namespace sluice::zoom_emulator {

boost::asio::awaitable<void> serve_tls(boost::asio::ip::tcp::socket socket,
                                       boost::asio::ssl::context& tls, Router& router) {
  namespace asio = boost::asio;
  boost::system::error_code ignored;
  const bool loopback = socket.remote_endpoint(ignored).address().is_loopback();
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream(std::move(socket), tls);
  constexpr auto awaitable = asio::as_tuple(asio::use_awaitable);
  boost::beast::get_lowest_layer(stream).expires_after(detail::idle_timeout);
  auto [handshake_error] =
      co_await stream.async_handshake(asio::ssl::stream_base::server, awaitable);
  if (handshake_error)
    co_return;
  co_await detail::serve_http(stream, router, loopback);
  boost::beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(awaitable); // clients often hang up first; that is fine
}

} // namespace sluice::zoom_emulator
