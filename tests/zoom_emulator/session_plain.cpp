// Plain-HTTP sessions, plus the request/response translation both kinds share.

#include "session.hpp"
#include "session_impl.hpp"

namespace sluice::zoom_emulator {

namespace detail {

Request to_request(const http::request<http::string_body>& message, bool from_loopback) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  const std::string_view target = message.target();
  const auto question = target.find('?');
  request.path = percent_decode(target.substr(0, question), false);
  if (question != std::string_view::npos)
    request.query = parse_form(target.substr(question + 1));
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[name] = std::string(field.value());
  }
  request.body = message.body();
  request.from_loopback = from_loopback;
  return request;
}

http::response<http::string_body> to_message(const Response& response, unsigned version,
                                             bool keep_alive) {
  http::response<http::string_body> message{static_cast<http::status>(response.status), version};
  message.set(http::field::server, "sluice-zoom-emulator");
  if (!response.content_type.empty())
    message.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers)
    message.set(name, value);
  message.body() = response.body;
  message.keep_alive(keep_alive);
  message.prepare_payload();
  return message;
}

} // namespace detail

boost::asio::awaitable<void> serve_plain(boost::asio::ip::tcp::socket socket, Router& router) {
  boost::system::error_code ignored;
  const bool loopback = socket.remote_endpoint(ignored).address().is_loopback();
  boost::beast::tcp_stream stream(std::move(socket));
  co_await detail::serve_http(stream, router, loopback);
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

} // namespace sluice::zoom_emulator
