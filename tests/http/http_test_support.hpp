#pragma once
// Helpers for test_http: running coroutines to completion, a scripted raw TCP server
// for behaviours the emulator cannot produce, and test certificates made with `openssl`.

#include "http/client.hpp"
#include "test_certificates.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace sluice::http::test {

namespace asio = boost::asio;

// Runs `task` on `io` until it finishes; returns its value or rethrows its exception.
template <class T> T run(asio::io_context& io, asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr failure, T value) {
    if (failure)
      error = failure;
    else
      result.emplace(std::move(value));
  });
  io.restart();
  io.run();
  if (error)
    std::rethrow_exception(error);
  return std::move(*result);
}

// Runs `task` and returns the exception it ended with (null when it succeeded).
template <class T> std::exception_ptr failure_of(asio::io_context& io, asio::awaitable<T> task) {
  try {
    run(io, std::move(task));
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

// The HttpError in `error`; fails the test when it is something else.
HttpError as_http_error(std::exception_ptr error);

class ScriptedServer;

// One accepted connection, handed to the server's script.
struct ServerConnection {
  asio::ip::tcp::socket socket;
  std::size_t index; // 0 for the first connection the server accepted
  ScriptedServer& server;
  std::string buffered;
  std::string request; // the last request read: head and body

  // Reads one request (headers and a Content-Length body); false at EOF or error.
  asio::awaitable<bool> read_request();
  asio::awaitable<void> write(std::string text);
};

// A raw HTTP/1.1 server on 127.0.0.1 with its own thread. Each connection runs `script`.
class ScriptedServer {
public:
  using Script = std::function<asio::awaitable<void>(ServerConnection&)>;
  explicit ScriptedServer(Script script);
  ~ScriptedServer();

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const;
  std::size_t connections() const { return connections_; }
  std::size_t requests() const { return requests_; }

private:
  friend struct ServerConnection;
  asio::awaitable<void> accept_loop();
  static asio::awaitable<void> serve(ScriptedServer& server, asio::ip::tcp::socket socket,
                                     std::size_t index);

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  Script script_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> requests_{0};
  std::thread thread_;
};

// "HTTP/1.1 200 OK" with a Content-Length body and `extra` header lines ("Name: v\r\n").
std::string ok_response(const std::string& body, const std::string& extra = {});
// A script that answers every request on the connection with 200 "hello", keeping it alive.
asio::awaitable<void> answer_everything(ServerConnection& connection);
// Waits `duration` on the connection's executor.
asio::awaitable<void> pause(ServerConnection& connection, std::chrono::milliseconds duration);

using TestCertificates = sluice::zoom_emulator::test::TestCertificates;

} // namespace sluice::http::test
