#pragma once
// One connection's request loop. Declared apart from its template definition so that the
// plain and TLS instantiations compile in separate translation units.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace boost::asio::ssl {
class context;
}

namespace sluice::zoom_emulator {

class Router;

boost::asio::awaitable<void> serve_plain(boost::asio::ip::tcp::socket socket, Router& router);
boost::asio::awaitable<void> serve_tls(boost::asio::ip::tcp::socket socket,
                                       boost::asio::ssl::context& tls, Router& router);

} // namespace sluice::zoom_emulator
