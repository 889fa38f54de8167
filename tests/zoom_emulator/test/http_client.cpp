// The tests' small blocking HTTP(S) client (http_client.hpp): one keep-alive connection to
// 127.0.0.1.

#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <optional>

namespace sluice::zoom_emulator::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string HttpResult::header(const std::string& name) const {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto found = headers.find(lower);
  return found == headers.end() ? std::string{} : found->second;
}

struct HttpClient::Impl {
  std::uint16_t port;
  bool tls;
  asio::io_context context;
  asio::ssl::context tls_context{asio::ssl::context::tls_client};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  bool connected() const { return plain.has_value() || secure.has_value(); }

  void connect() {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    buffer.clear();
    if (!tls) {
      plain.emplace(context);
      plain->connect(endpoint);
      return;
    }
    secure.emplace(context, tls_context);
    SSL_set_tlsext_host_name(secure->native_handle(), "localhost");
    secure->set_verify_callback(asio::ssl::host_name_verification("localhost"));
    beast::get_lowest_layer(*secure).connect(endpoint);
    secure->handshake(asio::ssl::stream_base::client);
  }

  void disconnect() {
    plain.reset();
    secure.reset();
  }

  template <class Stream>
  HttpResult exchange(Stream& stream, http::request<http::string_body>& request) {
    HttpResult result;
    beast::error_code error;
    http::write(stream, request, error);
    std::optional<http::response_parser<http::string_body>> parser;
    // Skip interim 1xx answers (100 Continue); the final answer follows them.
    do {
      parser.emplace();
      parser->body_limit(16 * 1024 * 1024);
      if (!error)
        http::read(stream, buffer, *parser, error);
    } while (!error && parser->get().result_int() / 100 == 1);
    if (error) {
      result.connection_lost = true;
      disconnect();
      return result;
    }
    const auto& response = parser->get();
    result.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      result.headers[name] = std::string(field.value());
    }
    result.body = response.body();
    if (!response.keep_alive())
      disconnect();
    return result;
  }
};

HttpClient::HttpClient(std::uint16_t port, bool tls, std::string ca_file)
    : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->tls = tls;
  if (tls) {
    impl_->tls_context.set_verify_mode(asio::ssl::verify_peer);
    if (!ca_file.empty())
      impl_->tls_context.load_verify_file(ca_file);
  }
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  if (!impl_->connected())
    impl_->connect();
  http::request<http::string_body> message{http::string_to_verb(method), target, 11};
  message.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));
  message.set(http::field::user_agent, "sluice-zoom-emulator-test");
  for (const auto& [name, value] : headers)
    message.set(name, value);
  if (!body.empty() || method == "POST" || method == "PATCH")
    message.body() = body;
  message.keep_alive(true);
  message.prepare_payload();
  if (impl_->plain)
    return impl_->exchange(*impl_->plain, message);
  return impl_->exchange(*impl_->secure, message);
}

HttpResult HttpClient::api(const std::string& method, const std::string& target,
                           const std::string& token, const std::string& body) {
  std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token}};
  if (!body.empty())
    headers["Content-Type"] = "application/json";
  return request(method, target, body, headers);
}

} // namespace sluice::zoom_emulator::test
