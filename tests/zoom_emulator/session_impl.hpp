#pragma once
// The HTTP/1.1 keep-alive loop shared by plain and TLS sessions. Included only by
// session_plain.cpp and session_tls.cpp.

#include "router.hpp"
#include "util.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>

namespace sluice::zoom_emulator::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

inline constexpr auto idle_timeout = std::chrono::seconds(30);
inline constexpr std::size_t max_body_bytes = 1024 * 1024;

Request to_request(const http::request<http::string_body>& message, bool from_loopback);
http::response<http::string_body> to_message(const Response& response, unsigned version,
                                             bool keep_alive);

template <class Stream>
asio::awaitable<void> serve_http(Stream& stream, Router& router, bool from_loopback) {
  constexpr auto awaitable = asio::as_tuple(asio::use_awaitable);
  beast::flat_buffer buffer;
  for (;;) {
    beast::get_lowest_layer(stream).expires_after(idle_timeout);
    http::request_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    auto [header_error, header_bytes] =
        co_await http::async_read_header(stream, buffer, parser, awaitable);
    if (header_error)
      co_return; // peer closed, timed out or sent garbage: nothing to answer
    // Faults are drawn on the request line and headers; a drop closes the connection with
    // the body (if any) unread, so the client sees a reset or EOF and nothing happened.
    const Router::Admission admission = router.admit(to_request(parser.get(), from_loopback));
    if (admission.drop)
      co_return;
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      // curl asks before sending bodies over 1 KiB; without this it stalls for a second.
      http::response<http::empty_body> proceed{http::status::continue_, parser.get().version()};
      auto [continue_error, continue_bytes] =
          co_await http::async_write(stream, proceed, awaitable);
      if (continue_error)
        co_return;
    }
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, awaitable);
    if (read_error)
      co_return;
    const auto& message = parser.get();
    Response response = router.handle(to_request(message, from_loopback), admission.fault);
    if (response.fault == ConnectionFault::close_without_response)
      co_return; // the caller's socket closes without an answer
    if (response.delay_ms > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(std::chrono::milliseconds(response.delay_ms));
      co_await timer.async_wait(awaitable);
    }
    const bool keep_alive = message.keep_alive();
    auto answer = to_message(response, message.version(), keep_alive);
    beast::get_lowest_layer(stream).expires_after(idle_timeout);
    if (response.fault == ConnectionFault::not_http) {
      // What a misconfigured proxy or another protocol on the port would send back.
      static constexpr std::string_view garbage = "SSH-2.0-OpenSSH_9.2\r\nProtocol mismatch.\r\n";
      co_await asio::async_write(stream, asio::buffer(garbage.data(), garbage.size()), awaitable);
      co_return;
    }
    if (response.fault == ConnectionFault::partial_body) {
      // Announce the full length, deliver half of it, hang up.
      http::response_serializer<http::string_body> serializer(answer);
      auto [header_error, header_bytes] =
          co_await http::async_write_header(stream, serializer, awaitable);
      if (!header_error) {
        const std::string& body = answer.body();
        co_await asio::async_write(stream, asio::buffer(body.data(), body.size() / 2), awaitable);
      }
      co_return;
    }
    if (response.slow_body_ms > 0) {
      // Headers at once, then the body in pieces with pauses between them.
      constexpr std::size_t pieces = 4;
      http::response_serializer<http::string_body> serializer(answer);
      auto [header_error, header_bytes] =
          co_await http::async_write_header(stream, serializer, awaitable);
      if (header_error)
        co_return;
      const std::string& body = answer.body();
      const std::size_t piece = (body.size() + pieces - 1) / pieces;
      asio::steady_timer timer(co_await asio::this_coro::executor);
      for (std::size_t offset = 0; offset < body.size(); offset += piece) {
        timer.expires_after(
            std::chrono::milliseconds(response.slow_body_ms / static_cast<int>(pieces)));
        co_await timer.async_wait(awaitable);
        const std::size_t size = std::min(piece, body.size() - offset);
        auto [body_error, body_bytes] =
            co_await asio::async_write(stream, asio::buffer(body.data() + offset, size), awaitable);
        if (body_error)
          co_return;
      }
      if (!keep_alive)
        co_return;
      continue;
    }
    auto [write_error, written] = co_await http::async_write(stream, answer, awaitable);
    if (write_error || !keep_alive)
      co_return;
  }
}

} // namespace sluice::zoom_emulator::detail
