// The emulator's network side (server.hpp): the listener and the HTTP/1.1 sessions, plain
// or TLS, as coroutines on one io_context.

#include "server.hpp"

#include "router.hpp"
#include "session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace sluice::zoom_emulator {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Router& router,
                                  asio::ssl::context* tls) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error == asio::error::operation_aborted || !acceptor.is_open())
      co_return; // shutting down
    if (error)
      continue; // e.g. the peer reset before we accepted; keep serving others
    socket.set_option(tcp::no_delay(true), error);
    auto executor = acceptor.get_executor();
    if (tls)
      asio::co_spawn(executor, serve_tls(std::move(socket), *tls, router), asio::detached);
    else
      asio::co_spawn(executor, serve_plain(std::move(socket), router), asio::detached);
  }
}

std::unique_ptr<asio::ssl::context> make_tls_context(const EmulatorConfig& config) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
  context->use_certificate_chain_file(config.tls_cert_file);
  context->use_private_key_file(config.tls_key_file, asio::ssl::context::pem);
  return context;
}

std::string url_host(const asio::ip::address& address) {
  if (!address.is_v6())
    return address.to_string();
  // Appending rather than `"[" + text + "]"`: GCC 12 at -O3 reports a bogus -Wrestrict on
  // the latter (GCC bug 105329).
  std::string host = "[";
  host += address.to_string();
  host += "]";
  return host;
}

} // namespace

int run_server(const EmulatorConfig& config) {
  asio::io_context context(1);
  std::unique_ptr<asio::ssl::context> tls;
  if (config.tls())
    tls = make_tls_context(config);

  const tcp::endpoint endpoint(asio::ip::make_address(config.host), config.port);
  tcp::acceptor acceptor(context);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);

  const tcp::endpoint bound = acceptor.local_endpoint();
  const std::string url = std::string(config.tls() ? "https" : "http") + "://" +
                          url_host(bound.address()) + ":" + std::to_string(bound.port());
  Router router(config);
  router.set_base_url(url);

  asio::signal_set signals(context, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int) {
    if (error)
      return;
    // Stop accepting, then stop the loop: open sessions are abandoned, which is what a
    // test harness tearing the emulator down wants.
    boost::system::error_code ignored;
    acceptor.close(ignored);
    context.stop();
  });
  asio::co_spawn(context, accept_loop(acceptor, router, tls.get()), asio::detached);

  // Test harnesses read the port from this line, so it must be first and flushed.
  std::cout << "listening on " << url << std::endl;
  context.run();
  return 0;
}

} // namespace sluice::zoom_emulator
