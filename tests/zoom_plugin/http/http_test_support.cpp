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

namespace sluice::zoom::http::test {

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
  ServerConnection connection{std::move(socket), index, server, {}};
  co_await server.script_(connection);
}

std::string ok_response(const std::string& body, const std::string& extra) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

asio::awaitable<void> pause(ServerConnection& connection, std::chrono::milliseconds duration) {
  asio::steady_timer timer(connection.socket.get_executor(), duration);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

namespace {

void shell(const std::string& command) {
  INFO("command: " << command);
  REQUIRE(std::system((command + " >/dev/null 2>&1").c_str()) == 0);
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

} // namespace

TestCertificates::TestCertificates() {
  directory =
      std::filesystem::temp_directory_path() / ("sluice-zoom-http-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  const auto path = [this](const char* name) { return (directory / name).string(); };
  const std::string key_options = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  ca = path("ca.pem");
  shell("openssl req -x509" + key_options + " -days 1 -subj '/CN=Sluice test CA' -keyout '" +
        path("ca.key") + "' -out '" + ca +
        "' -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");

  const auto signed_by_ca = [&](const std::string& name, const std::string& alt_names,
                                std::string& cert, std::string& key) {
    cert = path((name + ".pem").c_str());
    key = path((name + ".key").c_str());
    const std::string extensions = path((name + ".ext").c_str());
    write_file(extensions, "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                           "subjectAltName=" +
                               alt_names + "\n");
    shell("openssl req -new" + key_options + " -subj /CN=" + name + " -keyout '" + key +
          "' -out '" + path((name + ".csr").c_str()) + "'");
    shell("openssl x509 -req -days 1 -in '" + path((name + ".csr").c_str()) + "' -CA '" + ca +
          "' -CAkey '" + path("ca.key") + "' -CAcreateserial -extfile '" + extensions + "' -out '" +
          cert + "'");
  };
  signed_by_ca("good", "IP:127.0.0.1,DNS:localhost", good_cert, good_key);
  signed_by_ca("wrong", "DNS:wrong.example", wrong_cert, wrong_key);

  self_cert = path("self.pem");
  self_key = path("self.key");
  shell("openssl req -x509" + key_options + " -days 1 -subj /CN=localhost -keyout '" + self_key +
        "' -out '" + self_cert + "' -addext subjectAltName=IP:127.0.0.1,DNS:localhost");
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
}

const TestCertificates& TestCertificates::get() {
  static const TestCertificates certificates;
  return certificates;
}

} // namespace sluice::zoom::http::test
