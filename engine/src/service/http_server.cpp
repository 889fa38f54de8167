// The listening side of `sluice serve` on Beast: one coroutine accepts, one per connection
// reads requests one after another (keep-alive), each within the limits, and writes the
// handler's answers. A limit that is passed gets its own status (431, 413, or the connection
// closed for a client too slow to send its headers) rather than a hung connection.

#include "http_server.hpp"

#include <sluice/ascii.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <mutex>
#include <set>

namespace sluice::service {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view ServerRequest::header(std::string_view name) const noexcept {
  for (const HttpHeader& h : headers)
    if (ascii::iequals(h.name, name))
      return h.value;
  return {};
}

std::string_view ServerRequest::path() const noexcept {
  const std::string_view all = target;
  return all.substr(0, all.find('?'));
}

std::string_view ServerRequest::query() const noexcept {
  const std::string_view all = target;
  const std::size_t mark = all.find('?');
  return mark == std::string_view::npos ? std::string_view() : all.substr(mark + 1);
}

struct HttpServer::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor ex, ServerLimits l, ServerHandler h)
      : executor(std::move(ex)), acceptor(asio::make_strand(executor)), limits(l),
        handler(std::move(h)) {}
  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  ServerLimits limits;
  ServerHandler handler;
  std::mutex mutex;
  bool stopped = false;
  std::set<std::shared_ptr<beast::tcp_stream>> connections;
};

namespace {

std::string error_body(std::string_view message) {
  std::string body = R"({"error":")";
  for (char c : message)
    body += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  body += "\"}";
  return body;
}

http::response<http::string_body> to_beast(ServerResponse response, unsigned version,
                                           bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(response.status), version};
  out.set(http::field::server, "sluice");
  out.set(http::field::content_type, response.content_type);
  for (const HttpHeader& header : response.headers)
    out.insert(header.name, header.value);
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

asio::awaitable<void> write_refusal(beast::tcp_stream& stream, int status,
                                    std::string_view message) {
  ServerResponse response;
  response.status = status;
  response.body = error_body(message);
  auto out = to_beast(std::move(response), 11, /*keep_alive=*/false);
  boost::system::error_code ignored;
  stream.expires_after(std::chrono::seconds(5));
  co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ignored));
}

asio::awaitable<void> serve_connection(std::shared_ptr<HttpServer::State> state,
                                       std::shared_ptr<beast::tcp_stream> stream,
                                       std::string peer) {
  beast::flat_buffer buffer;
  const ServerLimits& limits = state->limits;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.header_bytes));
    parser.body_limit(limits.body_bytes);
    boost::system::error_code error;
    stream->expires_after(limits.header_time);
    co_await http::async_read_header(*stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, error));
    if (error == http::error::header_limit) {
      co_await write_refusal(*stream, 431,
                             "the request's headers are larger than " +
                                 std::to_string(limits.header_bytes) + " bytes");
      break;
    }
    if (error)
      break; // closed, timed out, or not HTTP: nothing to answer
    stream->expires_after(limits.body_time);
    co_await http::async_read(*stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, error));
    if (error == http::error::body_limit) {
      co_await write_refusal(*stream, 413,
                             "the request's body is larger than " +
                                 std::to_string(limits.body_bytes) + " bytes");
      break;
    }
    if (error)
      break;
    http::request<http::string_body> request = parser.release();
    ServerRequest plain;
    plain.method = std::string(request.method_string());
    plain.target = std::string(request.target());
    for (const auto& field : request)
      plain.headers.push_back(
          HttpHeader{std::string(field.name_string()), std::string(field.value())});
    plain.body = std::move(request.body());
    plain.peer = peer;
    ServerResponse response;
    try {
      stream->expires_never(); // a handler may wait (?wait=) longer than any read limit
      response = co_await state->handler(std::move(plain));
    } catch (const std::exception& e) {
      response = ServerResponse{500, "application/json", {}, error_body(e.what())};
    }
    auto out = to_beast(std::move(response), request.version(), request.keep_alive());
    stream->expires_after(std::chrono::seconds(30));
    co_await http::async_write(*stream, out, asio::redirect_error(asio::use_awaitable, error));
    if (error || !out.keep_alive())
      break;
  }
  boost::system::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  std::lock_guard lock(state->mutex);
  state->connections.erase(stream);
}

asio::awaitable<void> accept_connections(std::shared_ptr<HttpServer::State> state) {
  for (;;) {
    boost::system::error_code error;
    tcp::socket socket =
        // Each connection on a strand of its own: its coroutine and stop()'s close of its
        // socket never run at once on the service's two threads.
        co_await state->acceptor.async_accept(asio::make_strand(state->executor),
                                              asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      std::lock_guard lock(state->mutex);
      if (state->stopped || error == asio::error::operation_aborted)
        co_return;
      continue; // e.g. too many open files: the next accept may work
    }
    boost::system::error_code ignored;
    const auto remote = socket.remote_endpoint(ignored);
    std::string peer = remote.address().to_string();
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    {
      std::lock_guard lock(state->mutex);
      if (state->stopped)
        co_return;
      state->connections.insert(stream);
    }
    asio::co_spawn(stream->get_executor(), serve_connection(state, stream, std::move(peer)),
                   asio::detached);
  }
}

} // namespace

HttpServer::HttpServer(asio::any_io_executor executor, const std::string& host, unsigned short port,
                       ServerLimits limits, ServerHandler handler)
    : state_(std::make_shared<State>(std::move(executor), limits, std::move(handler))) {
  const tcp::endpoint endpoint(asio::ip::make_address(host), port);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen(asio::socket_base::max_listen_connections);
}

HttpServer::~HttpServer() {
  stop();
}

unsigned short HttpServer::port() const noexcept {
  boost::system::error_code ignored;
  return state_->acceptor.local_endpoint(ignored).port();
}

void HttpServer::start() {
  // On the acceptor's strand, as stop()'s close of it.
  asio::co_spawn(state_->acceptor.get_executor(), accept_connections(state_), asio::detached);
}

void HttpServer::stop() {
  std::lock_guard lock(state_->mutex);
  if (state_->stopped)
    return;
  state_->stopped = true;
  asio::post(state_->acceptor.get_executor(), [state = state_] {
    boost::system::error_code ignored;
    state->acceptor.close(ignored);
    std::lock_guard lock(state->mutex);
    for (const auto& stream : state->connections)
      asio::post(stream->get_executor(), [stream] {
        boost::system::error_code not_open;
        stream->socket().close(not_open);
      });
  });
}

} // namespace sluice::service
