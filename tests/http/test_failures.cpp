// Failures the emulator cannot produce, against scripted raw TCP servers on 127.0.0.1:
// timeouts, idle connections closed by the server, oversized and malformed responses,
// cancellation, the plain-http refusal, and that messages never carry secrets.

#include "http_test_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace sluice;
using namespace sluice::http;
using namespace sluice::http::test;
using namespace std::chrono_literals;

namespace {

// Reads requests and never answers; returns when the client goes away.
asio::awaitable<void> never_answer(ServerConnection& connection) {
  for (;;) {
    const bool got = co_await connection.read_request();
    if (!got)
      co_return;
  }
}

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

} // namespace

TEST_CASE("a server that never answers: response timeout") {
  ScriptedServer server(never_answer);
  asio::io_context io;
  Client client(ClientOptions{.response_timeout = 300ms});
  const auto start = std::chrono::steady_clock::now();
  const HttpError error =
      as_http_error(failure_of(io, client.send({.method = "GET", .url = server.url()})));
  CHECK(error.stage() == HttpFailureStage::receive);
  CHECK(error.timed_out());
  CHECK(error.request_may_have_been_processed());
  CHECK(std::string(error.what()).find("127.0.0.1:" + std::to_string(server.port())) !=
        std::string::npos);
  CHECK(since(start) < 3s);
}

TEST_CASE("a request's own timeout cuts every stage's, whatever the client options say") {
  ScriptedServer server(never_answer);
  asio::io_context io;
  Client client(ClientOptions{}); // 30 s to answer
  const auto start = std::chrono::steady_clock::now();
  const HttpError error = as_http_error(
      failure_of(io, client.send({.method = "GET", .url = server.url(), .timeout = 300ms})));
  CHECK(error.stage() == HttpFailureStage::receive);
  CHECK(error.timed_out());
  CHECK(since(start) < 3s);
}

TEST_CASE("a TLS handshake that never ends is cut by the request's timeout too") {
  ScriptedServer server(never_answer);
  asio::io_context io;
  Client client(ClientOptions{});
  const auto start = std::chrono::steady_clock::now();
  const HttpError error = as_http_error(
      failure_of(io, client.send({.method = "GET",
                                  .url = "https://127.0.0.1:" + std::to_string(server.port()) + "/",
                                  .timeout = 300ms})));
  CHECK(error.stage() == HttpFailureStage::tls_handshake);
  CHECK(error.timed_out());
  CHECK(since(start) < 3s);
}

TEST_CASE("a server that accepts but never speaks TLS: handshake timeout") {
  ScriptedServer server(never_answer);
  asio::io_context io;
  Client client(ClientOptions{.tls_timeout = 300ms});
  const HttpError error = as_http_error(failure_of(
      io, client.send({.method = "GET",
                       .url = "https://127.0.0.1:" + std::to_string(server.port()) + "/"})));
  CHECK(error.stage() == HttpFailureStage::tls_handshake);
  CHECK(error.timed_out());
  CHECK_FALSE(error.request_may_have_been_processed());
}

TEST_CASE("a listener whose backlog is full: connect timeout") {
  // Linux drops SYNs to a listener whose accept queue is full, so connect() hangs.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), length) == 0);
  REQUIRE(::listen(listener, 0) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(filler, reinterpret_cast<sockaddr*>(&address), length);
    fillers.push_back(filler);
  }
  std::this_thread::sleep_for(50ms);

  asio::io_context io;
  Client client(ClientOptions{.connect_timeout = 300ms});
  const auto start = std::chrono::steady_clock::now();
  const HttpError error = as_http_error(failure_of(
      io, client.send({.method = "GET",
                       .url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port))})));
  CHECK(error.stage() == HttpFailureStage::connect);
  CHECK(error.timed_out());
  CHECK(std::string(error.what()).find("timed out after 300 ms") != std::string::npos);
  CHECK(since(start) < 3s);
  for (const int filler : fillers)
    ::close(filler);
  ::close(listener);
}

TEST_CASE("a refused connection is a connect failure that cannot have been processed") {
  std::uint16_t port = 0;
  {
    ScriptedServer server(never_answer); // find a port that was free a moment ago
    port = server.port();
  }
  asio::io_context io;
  Client client({});
  const HttpError error = as_http_error(failure_of(
      io, client.send({.method = "POST", .url = "http://127.0.0.1:" + std::to_string(port)})));
  CHECK(error.stage() == HttpFailureStage::connect);
  CHECK_FALSE(error.timed_out());
  CHECK_FALSE(error.request_may_have_been_processed());
  CHECK(std::string(error.what()).find("refused") != std::string::npos);
}

TEST_CASE("an idle keep-alive connection the server closed is not used again") {
  // The first connection answers once, then closes while idle (no Connection: close).
  ScriptedServer server([](ServerConnection& connection) -> asio::awaitable<void> {
    if (connection.index > 0)
      co_return co_await answer_everything(connection);
    if (co_await connection.read_request())
      co_await connection.write(ok_response("first"));
  });
  asio::io_context io;
  Client client({});
  CHECK(run(io, client.send({.method = "GET", .url = server.url()})).body == "first");
  std::this_thread::sleep_for(100ms);
  CHECK(run(io, client.send({.method = "GET", .url = server.url()})).body == "hello");
  CHECK(client.stats().connections_opened == 2);
  CHECK(client.stats().requests_sent == 2); // seen closed before sending: no retry needed
  CHECK(server.requests() == 2);
}

TEST_CASE("the server closes after reading a request on a reused connection") {
  // The first connection answers one request, reads the second, and hangs up.
  auto script = [](ServerConnection& connection) -> asio::awaitable<void> {
    if (connection.index > 0)
      co_return co_await answer_everything(connection);
    if (co_await connection.read_request())
      co_await connection.write(ok_response("first"));
    co_await connection.read_request();
  };

  SUBCASE("idempotent: sent again once on a new connection") {
    ScriptedServer server(script);
    asio::io_context io;
    Client client({});
    run(io, client.send({.method = "GET", .url = server.url()}));
    CHECK(run(io, client.send({.method = "GET", .url = server.url()})).body == "hello");
    CHECK(client.stats().connections_opened == 2);
    CHECK(client.stats().requests_sent == 3);
    CHECK(server.requests() == 3);
  }
  SUBCASE("not idempotent: not resent, and it may have been processed") {
    ScriptedServer server(script);
    asio::io_context io;
    Client client({});
    run(io, client.send({.method = "GET", .url = server.url()}));
    const HttpError error = as_http_error(failure_of(
        io,
        client.send({.method = "POST", .url = server.url(), .body = "{}", .idempotent = false})));
    CHECK(error.stage() == HttpFailureStage::receive);
    CHECK(error.request_may_have_been_processed());
    CHECK(client.stats().requests_sent == 2);
    CHECK(server.requests() == 2);
  }
  SUBCASE("on a fresh connection nothing is retried, even when idempotent") {
    ScriptedServer server([](ServerConnection& connection) -> asio::awaitable<void> {
      co_await connection.read_request(); // and hang up
    });
    asio::io_context io;
    Client client({});
    const HttpError error =
        as_http_error(failure_of(io, client.send({.method = "GET", .url = server.url()})));
    CHECK(error.stage() == HttpFailureStage::receive);
    CHECK(client.stats().requests_sent == 1);
    CHECK(server.connections() == 1);
  }
}

TEST_CASE("Connection: close from the server is honoured") {
  ScriptedServer server([](ServerConnection& connection) -> asio::awaitable<void> {
    if (co_await connection.read_request())
      co_await connection.write(ok_response("bye", "Connection: close\r\n"));
    co_await pause(connection, 500ms); // keep the socket open: the client must not reuse it
  });
  asio::io_context io;
  Client client({});
  for (int i = 0; i < 3; ++i)
    CHECK(run(io, client.send({.method = "GET", .url = server.url()})).body == "bye");
  CHECK(client.stats().connections_opened == 3);
  CHECK(client.stats().reused == 0);
}

TEST_CASE("chunked responses are decoded; bodies over max_response_bytes fail") {
  const std::string chunk(1000, 'x');
  ScriptedServer server([&chunk](ServerConnection& connection) -> asio::awaitable<void> {
    for (;;) {
      const bool got = co_await connection.read_request();
      if (!got)
        co_return;
      std::string answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (int i = 0; i < 50; ++i)
        answer += "3e8\r\n" + chunk + "\r\n";
      co_await connection.write(answer + "0\r\n\r\n");
    }
  });
  asio::io_context io;
  Client roomy({});
  const HttpResponse response = run(io, roomy.send({.method = "GET", .url = server.url()}));
  CHECK(response.body.size() == 50'000);
  CHECK(response.body.find_first_not_of('x') == std::string::npos);

  Client small(ClientOptions{.max_response_bytes = 10'000});
  const HttpError error =
      as_http_error(failure_of(io, small.send({.method = "GET", .url = server.url()})));
  CHECK(error.stage() == HttpFailureStage::response_too_large);

  // A request's own limit replaces the client's, either way.
  const HttpError own = as_http_error(failure_of(
      io, roomy.send({.method = "GET", .url = server.url(), .max_response_bytes = 20'000})));
  CHECK(own.stage() == HttpFailureStage::response_too_large);
  CHECK(run(io, small.send({.method = "GET", .url = server.url(), .max_response_bytes = 60'000}))
            .body.size() == 50'000);
}

TEST_CASE("a Content-Length over max_response_bytes fails before the body is read") {
  ScriptedServer server([](ServerConnection& connection) -> asio::awaitable<void> {
    if (co_await connection.read_request())
      co_await connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n");
    co_await pause(connection, 2000ms);
  });
  asio::io_context io;
  Client client(ClientOptions{.response_timeout = 1500ms, .max_response_bytes = 1 << 20});
  const HttpError error =
      as_http_error(failure_of(io, client.send({.method = "GET", .url = server.url()})));
  CHECK(error.stage() == HttpFailureStage::response_too_large);
  CHECK_FALSE(error.timed_out());
}

TEST_CASE("a peer that does not speak HTTP is a protocol failure") {
  ScriptedServer server([](ServerConnection& connection) -> asio::awaitable<void> {
    if (co_await connection.read_request())
      co_await connection.write("SSH-2.0-OpenSSH_9.2\r\n\r\n");
  });
  asio::io_context io;
  Client client({});
  const HttpError error =
      as_http_error(failure_of(io, client.send({.method = "GET", .url = server.url()})));
  CHECK(error.stage() == HttpFailureStage::protocol);
}

TEST_CASE("a cancelled send returns promptly with operation_aborted") {
  ScriptedServer server(never_answer);
  asio::io_context io;
  Client client(ClientOptions{.max_connections_per_origin = 1});

  // The first request holds the only connection; the second queues behind it.
  asio::cancellation_signal cancel_first;
  asio::cancellation_signal cancel_second;
  std::vector<std::exception_ptr> errors;
  const auto record = [&errors](std::exception_ptr error, HttpResponse) {
    errors.push_back(error);
  };
  asio::co_spawn(io, client.send({.method = "GET", .url = server.url("/first")}),
                 asio::bind_cancellation_slot(cancel_first.slot(), record));
  asio::co_spawn(io, client.send({.method = "GET", .url = server.url("/second")}),
                 asio::bind_cancellation_slot(cancel_second.slot(), record));
  asio::steady_timer timer(io);
  timer.expires_after(200ms);
  timer.async_wait([&](boost::system::error_code) {
    cancel_second.emit(asio::cancellation_type::terminal);
    timer.expires_after(100ms);
    timer.async_wait([&](boost::system::error_code) {
      CHECK(errors.size() == 1); // the queued one is out; the first is still waiting
      cancel_first.emit(asio::cancellation_type::terminal);
    });
  });
  const auto start = std::chrono::steady_clock::now();
  io.run();
  CHECK(since(start) < 2s); // the response timeout is 30 s
  REQUIRE(errors.size() == 2);
  for (const std::exception_ptr& error : errors) {
    REQUIRE(error);
    try {
      std::rethrow_exception(error);
    } catch (const boost::system::system_error& aborted) {
      CHECK(aborted.code() == asio::error::operation_aborted);
    }
  }
  CHECK(server.connections() == 1);

  // The cancelled connection was closed, not pooled, and its slot was given back.
  ScriptedServer answering(answer_everything);
  CHECK(run(io, client.send({.method = "GET", .url = answering.url()})).status == 200);
}

TEST_CASE("plain http to a host that is not loopback is refused unless allowed") {
  asio::io_context io;
  Client client({});
  try {
    run(io, client.send({.method = "GET", .url = "http://api.zoom.us/v2/users/me"}));
    FAIL("plain http to api.zoom.us was sent");
  } catch (const std::invalid_argument& refusal) {
    const std::string message = refusal.what();
    CHECK(message.find("refusing plain http to api.zoom.us") != std::string::npos);
    CHECK(message.find("allow insecure http") != std::string::npos);
  }
  CHECK(client.stats().connections_opened == 0);

  // Opted in, the request goes out: it fails at the connect stage (192.0.2.1 is TEST-NET-1,
  // unreachable or silent), not with the refusal.
  Client allowed(ClientOptions{.connect_timeout = 200ms});
  const std::exception_ptr error = failure_of(
      io,
      allowed.send({.method = "GET", .url = "http://192.0.2.1:9/", .allow_insecure_http = true}));
  CHECK(as_http_error(error).stage() == HttpFailureStage::connect);
}

TEST_CASE("error messages carry no header values, query or body") {
  ScriptedServer server(never_answer);
  asio::io_context io;
  Client client(ClientOptions{.response_timeout = 200ms});
  const HttpError error = as_http_error(
      failure_of(io, client.send({.method = "POST",
                                  .url = server.url("/oauth/token?code=SECRET-CODE-456"),
                                  .headers = {{"Authorization", "Bearer SECRET-TOKEN-123"}},
                                  .body = "client_secret=SECRET-BODY-789"})));
  const std::string message = error.what();
  CHECK(message.find("POST http://127.0.0.1:") != std::string::npos);
  CHECK(message.find("/oauth/token") != std::string::npos);
  CHECK(message.find("SECRET") == std::string::npos);

  try {
    run(io, client.send({.method = "GET",
                         .url = server.url(),
                         .headers = {{"Authorization", "Bearer SECRET-TOKEN-123\r\nX: y"}}}));
    FAIL("a header with a line break was sent");
  } catch (const std::invalid_argument& refusal) {
    CHECK(std::string(refusal.what()).find("SECRET") == std::string::npos);
  }
}
