// Fuzz target: how the engine's HTTP client (engine/src/http) reads a response, with
// its limits. The parser is only reachable through a connection, so the input goes through a
// real one: a server on 127.0.0.1, in the same single-threaded io_context as the client,
// reads the client's request, answers with the input's bytes and closes its side. Client::send
// must either return a Response within the limit it was given or throw HttpError; any other
// exception, a crash, a leak or a hang is a finding.
//
// The first byte chooses the request, so the fuzzer explores both: bit 0 sends HEAD (whose
// answer has no body) instead of GET; the other bits set ClientOptions::max_response_bytes
// to a multiple of 16 from 0 to 2032, so the body limit is crossed by small inputs too.

#include "http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace {

namespace asio = boost::asio;
namespace http = sluice::http;
using asio::ip::tcp;

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_http_response: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// One event loop and one listening socket for the whole run; each input is one connection.
struct Loopback {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
  std::string url =
      "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/v2/x";
};

Loopback& loopback() {
  static Loopback instance;
  return instance;
}

// Accepts the client's one connection, reads its request (a GET or HEAD: headers only),
// answers with `answer`, closes the sending side so the client sees the end of it, then
// reads until the client closes. Reading to the end, not closing at once, keeps the kernel
// from resetting the connection under bytes the client has yet to read.
asio::awaitable<void> serve(std::string_view answer) {
  const auto token = asio::as_tuple(asio::use_awaitable);
  auto [accept_error, socket] = co_await loopback().acceptor.async_accept(token);
  if (accept_error)
    broken("accept failed", accept_error.message());
  std::string request;
  auto [read_error, head] =
      co_await asio::async_read_until(socket, asio::dynamic_buffer(request), "\r\n\r\n", token);
  if (read_error)
    co_return; // the client gave up first
  auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(answer), token);
  if (write_error)
    co_return; // the client stopped reading (a limit) and closed
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  char sink[1024];
  for (;;) {
    auto [error, n] = co_await socket.async_read_some(asio::buffer(sink), token);
    if (error)
      co_return;
  }
}

asio::awaitable<void> ask(bool head, std::size_t body_limit) {
  http::ClientOptions options;
  options.max_response_bytes = body_limit;
  // Plain http: no TLS is spoken, and not loading the system's CA bundle for each client
  // makes an input 40 times faster to try.
  options.verify_tls = false;
  // Each stage ends at once on loopback; these only bound a hang, which is then a finding.
  options.connect_timeout = std::chrono::seconds(5);
  options.response_timeout = std::chrono::seconds(5);
  http::Client client(options);
  // A named request, not a braced temporary inside the co_await: GCC 12 frees such a
  // temporary's strings twice when the coroutine it is passed to completes.
  sluice::HttpRequest request{.method = head ? "HEAD" : "GET", .url = loopback().url};
  try {
    const sluice::HttpResponse response = co_await client.send(std::move(request));
    if (response.body.size() > body_limit)
      broken("a body larger than max_response_bytes was returned",
             std::to_string(response.body.size()) + " > " + std::to_string(body_limit));
    if (head && !response.body.empty())
      broken("a HEAD response came back with a body", response.body);
    (void)response.header("Content-Type");
  } catch (const sluice::HttpError& e) {
    if (e.timed_out())
      broken("the client waited for a timeout on a closed connection", e.what());
  }
}

void finish(const char* who, std::exception_ptr error) {
  if (!error)
    return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    broken(who, e.what());
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const bool head = (data[0] & 1) != 0;
  const std::size_t body_limit = static_cast<std::size_t>(data[0] >> 1) * 16;
  const std::string_view answer(reinterpret_cast<const char*>(data) + 1, size - 1);

  Loopback& net = loopback();
  asio::co_spawn(net.io, serve(answer),
                 [](std::exception_ptr error) { finish("the server ended with", error); });
  asio::co_spawn(net.io, ask(head, body_limit),
                 [](std::exception_ptr error) { finish("Client::send threw", error); });
  net.io.restart();
  net.io.run();
  return 0;
}
