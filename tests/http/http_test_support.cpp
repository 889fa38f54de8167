// Helpers for test_http (http_test_support.hpp): coroutines run to completion, a
// scripted raw TCP server, certificates.

#include "http_test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace sluice::http::test {

using asio::ip::tcp;

HttpError as_http_error(std::exception_ptr error) {
  REQUIRE_MESSAGE(error != nullptr, "the request succeeded but should have failed");
  try {
    std::rethrow_exception(error);
  } catch (const HttpError& http_error) {
    return http_error;
  } catch (const std::exception& other) {
    FAIL("expected HttpError, got: " << other.what());
  }
  throw std::logic_error("unreachable");
}

asio::awaitable<bool> ServerConnection::read_request() {
  auto [error, header_end] = co_await asio::async_read_until(
      socket, asio::dynamic_buffer(buffered), "\r\n\r\n", asio::as_tuple(asio::use_awaitable));
  if (error)
    co_return false;
  std::size_t body_length = 0;
  const std::string head = buffered.substr(0, header_end);
  for (const char* name : {"\r\nContent-Length: ", "\r\ncontent-length: "})
    if (const auto at = head.find(name); at != std::string::npos)
      body_length = std::stoul(head.substr(at + std::string(name).size()));
  while (buffered.size() < header_end + body_length) {
    char chunk[4096];
    auto [read_error, got] =
        co_await socket.async_read_some(asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
    if (read_error)
      co_return false;
    buffered.append(chunk, got);
  }
  request = buffered.substr(0, header_end + body_length);
  buffered.erase(0, header_end + body_length);
  ++server.requests_;
  co_return true;
}

asio::awaitable<void> ServerConnection::write(std::string text) {
  co_await asio::async_write(socket, asio::buffer(text), asio::as_tuple(asio::use_awaitable));
}

ScriptedServer::ScriptedServer(Script script)
    : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      script_(std::move(script)) {
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

ScriptedServer::~ScriptedServer() {
  io_.stop();
  thread_.join();
}

std::string ScriptedServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

asio::awaitable<void> ScriptedServer::accept_loop() {
  for (;;) {
    auto [error, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error)
      co_return;
    const std::size_t index = connections_++;
    asio::co_spawn(io_, serve(*this, std::move(socket), index), asio::detached);
  }
}

asio::awaitable<void> ScriptedServer::serve(ScriptedServer& server, tcp::socket socket,
                                            std::size_t index) {
  ServerConnection connection{std::move(socket), index, server, {}, {}};
  co_await server.script_(connection);
}

asio::awaitable<void> answer_everything(ServerConnection& connection) {
  for (;;) {
    // Not `while (co_await ...)`: GCC 12 miscompiles a co_await in a loop condition.
    const bool got = co_await connection.read_request();
    if (!got)
      co_return;
    co_await connection.write(ok_response("hello"));
  }
}

std::string ok_response(const std::string& body, const std::string& extra) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

asio::awaitable<void> pause(ServerConnection& connection, std::chrono::milliseconds duration) {
  asio::steady_timer timer(connection.socket.get_executor(), duration);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

} // namespace sluice::http::test
