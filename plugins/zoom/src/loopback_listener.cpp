// The local HTTP listener the browser is redirected to: serves requests until the expected
// path arrives or time runs out, with pages that are neither cached nor sent on as a Referer.

#include "loopback_listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <sluice/encoding.hpp>

#include <stdexcept>

namespace sluice::zoom {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct LoopbackListener::Impl {
  explicit Impl(asio::any_io_executor ex) : acceptor(ex) {}
  tcp::acceptor acceptor;
};

LoopbackListener::LoopbackListener(asio::any_io_executor executor, const std::string& host,
                                   std::uint16_t port)
    : impl_(std::make_unique<Impl>(executor)) {
  const std::string address = host == "localhost" ? "127.0.0.1" : host;
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec || !ip.is_loopback())
    throw std::runtime_error("the redirect listener must be on a loopback address, not '" + host +
                             "'");
  const tcp::endpoint endpoint(ip, port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint, ec);
  if (ec)
    throw std::runtime_error("cannot listen for the OAuth redirect on " + address + ":" +
                             std::to_string(port) + ": " + ec.message() +
                             " (choose another port in --redirect-uri)");
  impl_->acceptor.listen();
}

LoopbackListener::~LoopbackListener() = default;

std::uint16_t LoopbackListener::port() const {
  return impl_->acceptor.local_endpoint().port();
}

namespace {

asio::awaitable<std::optional<std::map<std::string, std::string>>>
serve_one(tcp::socket socket, const std::string& path, const LoopbackListener::PageFor& page_for) {
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(30));
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  auto [ec, n] =
      co_await http::async_read(stream, buffer, request, asio::as_tuple(asio::use_awaitable));
  (void)n;
  if (ec)
    co_return std::nullopt;
  const std::string target(request.target());
  const auto question = target.find('?');
  const std::string request_path = target.substr(0, question);
  http::response<http::string_body> response;
  response.version(request.version());
  response.set(http::field::content_type, "text/html; charset=utf-8");
  response.set(http::field::connection, "close");
  // The page must not be cached, nor leak the code through a Referer.
  response.set(http::field::cache_control, "no-store");
  response.set("Referrer-Policy", "no-referrer");
  std::optional<std::map<std::string, std::string>> result;
  if (request_path == path) {
    result = parse_query(question == std::string::npos ? "" : target.substr(question + 1));
    response.result(http::status::ok);
    response.body() = page_for(*result);
  } else {
    response.result(http::status::not_found);
    response.body() = "<!doctype html><title>Not found</title>";
  }
  response.prepare_payload();
  co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return result;
}

} // namespace

std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string_view part(query.data() + start, end - start);
    if (!part.empty()) {
      const auto eq = part.find('=');
      out[percent_decode(part.substr(0, eq), true)] =
          eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1), true);
    }
    start = end + 1;
  }
  return out;
}

asio::awaitable<std::map<std::string, std::string>>
LoopbackListener::wait_for(std::string path, std::chrono::seconds timeout, PageFor page_for) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(impl_->acceptor.get_executor(), timeout);
  for (;;) {
    auto accepted = co_await (impl_->acceptor.async_accept(asio::as_tuple(asio::use_awaitable)) ||
                              deadline.async_wait(asio::use_awaitable));
    if (accepted.index() == 1)
      throw std::runtime_error("timed out after " + std::to_string(timeout.count()) +
                               " s waiting for the browser to come back from Zoom");
    auto [ec, socket] = std::get<0>(std::move(accepted));
    if (ec)
      continue;
    if (auto query = co_await serve_one(std::move(socket), path, page_for))
      co_return *query;
  }
}

} // namespace sluice::zoom
