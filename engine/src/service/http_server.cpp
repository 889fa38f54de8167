// The listening side of `sluice serve` on Beast: one coroutine accepts, one per connection
// (after the TLS handshake, when the server has a certificate) reads requests one after
// another (keep-alive), each within the limits, and writes the handler's answers. A limit
// that is passed gets its own status (431, 413, 429, or the connection closed for a client
// too slow to send its headers) rather than a hung connection.

#include "http_server.hpp"

#include <sluice/ascii.hpp>
#include <sluice/value.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <map>
#include <mutex>

namespace sluice::service {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

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
  State(asio::any_io_executor ex, ServerConfig c, ServerHandler h)
      : executor(std::move(ex)), acceptor(asio::make_strand(executor)), config(std::move(c)),
        handler(std::move(h)) {}
  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  ServerConfig config;
  ServerHandler handler;
  std::optional<asio::ssl::context> tls;
  std::mutex mutex;
  bool stopped = false;
  /// Open connections by number: how stop() closes each (posted to its strand).
  std::map<std::uint64_t, std::function<void()>> connections;
  std::uint64_t next_connection = 0;
  /// Requests being handled, per client address.
  std::map<std::string, std::size_t, std::less<>> in_flight;

  void answered(int status) const {
    if (config.answered)
      config.answered(status);
  }
};

namespace {

// {"error": "..."}, as the API's own errors (control characters escaped too).
std::string error_body(std::string_view message) {
  return Value(Object{{"error", message}}).to_json();
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

beast::tcp_stream& lowest(beast::tcp_stream& stream) {
  return stream;
}
beast::tcp_stream& lowest(TlsStream& stream) {
  return stream.next_layer();
}

template <class Stream>
asio::awaitable<void> write_refusal(const HttpServer::State& state, Stream& stream, int status,
                                    std::string_view message) {
  ServerResponse response;
  response.status = status;
  response.body = error_body(message);
  auto out = to_beast(std::move(response), 11, /*keep_alive=*/false);
  boost::system::error_code ignored;
  lowest(stream).expires_after(std::chrono::seconds(5));
  co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ignored));
  state.answered(status);
}

// Headers, then the pieces as they come; the end of the body is the end of the connection
// (no Content-Length), which every HTTP/1.1 client and EventSource understands.
template <class Stream>
asio::awaitable<void> write_stream(Stream& stream, ServerResponse response, unsigned version) {
  http::response<http::empty_body> head{static_cast<http::status>(response.status), version};
  head.set(http::field::server, "sluice");
  head.set(http::field::content_type, response.content_type);
  head.set(http::field::cache_control, "no-cache");
  for (const HttpHeader& header : response.headers)
    head.insert(header.name, header.value);
  head.keep_alive(false);
  http::response_serializer<http::empty_body> serializer{head};
  boost::system::error_code error;
  lowest(stream).expires_after(std::chrono::seconds(30));
  co_await http::async_write_header(stream, serializer,
                                    asio::redirect_error(asio::use_awaitable, error));
  while (!error) {
    lowest(stream).expires_never(); // the stream may be quiet for a while
    std::optional<std::string> piece = co_await response.stream();
    if (!piece)
      break;
    if (piece->empty())
      continue;
    lowest(stream).expires_after(std::chrono::seconds(30));
    co_await asio::async_write(stream, asio::buffer(*piece),
                               asio::redirect_error(asio::use_awaitable, error));
  }
}

// One request slot of a client address, given back when it goes out of scope.
class ClientSlot {
public:
  ClientSlot(HttpServer::State& state, const std::string& peer) : state_(state), peer_(peer) {
    std::lock_guard lock(state_.mutex);
    std::size_t& count = state_.in_flight[peer_];
    taken_ = count < state_.config.limits.requests_per_client;
    if (taken_)
      ++count;
    else if (count == 0)
      state_.in_flight.erase(peer_);
  }
  ~ClientSlot() { release(); }
  ClientSlot(const ClientSlot&) = delete;
  ClientSlot& operator=(const ClientSlot&) = delete;
  bool taken() const noexcept { return taken_; }
  void release() {
    if (!taken_)
      return;
    taken_ = false;
    std::lock_guard lock(state_.mutex);
    if (auto found = state_.in_flight.find(peer_);
        found != state_.in_flight.end() && --found->second == 0)
      state_.in_flight.erase(found);
  }

private:
  HttpServer::State& state_;
  const std::string& peer_;
  bool taken_ = false;
};

template <class Stream>
asio::awaitable<void> serve_requests(std::shared_ptr<HttpServer::State> state, Stream& stream,
                                     const std::string& peer) {
  beast::flat_buffer buffer;
  const ServerLimits& limits = state->config.limits;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.header_bytes));
    parser.body_limit(limits.body_bytes);
    boost::system::error_code error;
    lowest(stream).expires_after(limits.header_time);
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, error));
    if (error == http::error::header_limit) {
      co_await write_refusal(*state, stream, 431,
                             "the request's headers are larger than " +
                                 std::to_string(limits.header_bytes) + " bytes");
      co_return;
    }
    if (error)
      co_return; // closed, timed out, or not HTTP: nothing to answer
    lowest(stream).expires_after(limits.body_time);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, error));
    if (error == http::error::body_limit) {
      co_await write_refusal(*state, stream, 413,
                             "the request's body is larger than " +
                                 std::to_string(limits.body_bytes) + " bytes");
      co_return;
    }
    if (error)
      co_return;
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
    ClientSlot slot(*state, peer);
    if (!slot.taken()) {
      response = ServerResponse{429,
                                "application/json",
                                {{"Retry-After", "1"}},
                                error_body("this client has " +
                                           std::to_string(limits.requests_per_client) +
                                           " requests in progress, as many as it may; wait "
                                           "for one to finish"),
                                {}};
    } else {
      try {
        lowest(stream).expires_never(); // a handler may wait (?wait=) longer than any limit
        response = co_await state->handler(std::move(plain));
      } catch (const std::exception& e) {
        response = ServerResponse{500, "application/json", {}, error_body(e.what()), {}};
      }
    }
    slot.release();
    state->answered(response.status);
    if (response.stream) {
      co_await write_stream(stream, std::move(response), request.version());
      co_return;
    }
    auto out = to_beast(std::move(response), request.version(), request.keep_alive());
    lowest(stream).expires_after(std::chrono::seconds(30));
    co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, error));
    if (error || !out.keep_alive())
      co_return;
  }
}

template <class Stream>
asio::awaitable<void> serve_connection(std::shared_ptr<HttpServer::State> state,
                                       std::shared_ptr<Stream> stream, std::string peer,
                                       std::uint64_t number) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    boost::system::error_code error;
    lowest(*stream).expires_after(state->config.limits.header_time);
    co_await stream->async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(asio::use_awaitable, error));
    if (!error) {
      co_await serve_requests(state, *stream, peer);
      lowest(*stream).expires_after(std::chrono::seconds(2));
      co_await stream->async_shutdown(asio::redirect_error(asio::use_awaitable, error));
    }
  } else {
    co_await serve_requests(state, *stream, peer);
  }
  boost::system::error_code ignored;
  lowest(*stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  std::lock_guard lock(state->mutex);
  state->connections.erase(number);
}

template <class Stream>
void open_connection(const std::shared_ptr<HttpServer::State>& state,
                     std::shared_ptr<Stream> stream, std::string peer) {
  std::uint64_t number = 0;
  {
    std::lock_guard lock(state->mutex);
    if (state->stopped)
      return;
    number = state->next_connection++;
    state->connections[number] = [stream] {
      asio::post(lowest(*stream).get_executor(), [stream] {
        boost::system::error_code not_open;
        lowest(*stream).socket().close(not_open);
      });
    };
  }
  asio::co_spawn(lowest(*stream).get_executor(),
                 serve_connection(state, stream, std::move(peer), number), asio::detached);
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
    if (state->tls)
      open_connection(state, std::make_shared<TlsStream>(std::move(socket), *state->tls),
                      std::move(peer));
    else
      open_connection(state, std::make_shared<beast::tcp_stream>(std::move(socket)),
                      std::move(peer));
  }
}

asio::ssl::context tls_context(const std::filesystem::path& certificate,
                               const std::filesystem::path& key) {
  asio::ssl::context context(asio::ssl::context::tls_server);
  context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  boost::system::error_code error;
  context.use_certificate_chain_file(certificate.string(), error);
  if (error)
    throw std::invalid_argument(
        "cannot use " + certificate.string() +
        " as the TLS certificate (a PEM certificate chain): " + error.message());
  // OpenSSL's messages name what is wrong with the file, never its contents.
  context.use_private_key_file(key.string(), asio::ssl::context::pem, error);
  if (error && error.message().find("key values mismatch") != std::string::npos)
    throw std::invalid_argument("the TLS private key " + key.string() +
                                " does not belong to the certificate " + certificate.string());
  if (error)
    throw std::invalid_argument("cannot use " + key.string() +
                                " as the TLS private key (PEM): " + error.message());
  if (SSL_CTX_check_private_key(context.native_handle()) != 1)
    throw std::invalid_argument("the TLS private key " + key.string() +
                                " does not belong to the certificate " + certificate.string());
  return context;
}

} // namespace

HttpServer::HttpServer(asio::any_io_executor executor, ServerConfig config, ServerHandler handler)
    : state_(std::make_shared<State>(std::move(executor), std::move(config), std::move(handler))) {
  const ServerConfig& c = state_->config;
  if (c.tls_certificate.empty() != c.tls_private_key.empty())
    throw std::invalid_argument("TLS needs both a certificate and its private key");
  if (!c.tls_certificate.empty())
    state_->tls.emplace(tls_context(c.tls_certificate, c.tls_private_key));
  const tcp::endpoint endpoint(asio::ip::make_address(c.host), c.port);
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
    for (const auto& [number, close] : state->connections)
      close();
  });
}

} // namespace sluice::service
