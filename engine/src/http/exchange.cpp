// Request/response on an open connection, with a size limit and one deadline for both.

#include "exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace sluice::http::detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

// Zoom's headers are a few hundred bytes; this only stops a runaway peer.
constexpr std::uint32_t header_limit = 64 * 1024;

HttpFailureStage read_failure_stage(const boost::system::error_code& error) {
  if (error == bhttp::error::body_limit || error == bhttp::error::header_limit ||
      error == bhttp::error::buffer_overflow)
    return HttpFailureStage::response_too_large;
  const bool http_error =
      error.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
  if (http_error && error != bhttp::error::end_of_stream && error != bhttp::error::partial_message)
    return HttpFailureStage::protocol;
  return HttpFailureStage::receive;
}

template <class Stream>
asio::awaitable<ExchangeResult> exchange_on(Stream& stream, Connection::Socket& tcp,
                                            const BeastRequest& request,
                                            const ClientOptions& options) {
  ExchangeResult result;
  Deadline deadline(co_await asio::this_coro::executor, tcp,
                    std::chrono::steady_clock::now() + options.response_timeout);
  // The stage that failed, or its timeout when the deadline cancelled it.
  const auto facts = [&](HttpFailureStage stage, boost::system::error_code error) {
    return deadline.expired() ? timeout_facts(stage, options.response_timeout)
                              : failure_facts(stage, error);
  };

  auto [write_error, written] =
      co_await bhttp::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
  if (write_error) {
    // Bytes handed to TLS may be on the wire even when the count says otherwise.
    const bool tls = !std::is_same_v<Stream, Connection::Socket>;
    result.failure = facts(HttpFailureStage::send, write_error);
    result.failure.may_have_been_processed = written > 0 || tls;
    co_return result;
  }

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  parser.header_limit(header_limit);
  if (request.method() == bhttp::verb::head)
    parser.skip(true);
  auto [read_error, read] =
      co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (read_error) {
    result.response_started = parser.got_some() || buffer.size() > 0;
    result.failure = facts(read_failure_stage(read_error), read_error);
    result.failure.may_have_been_processed = true;
    co_return result;
  }

  auto message = parser.release();
  result.ok = true;
  result.response.status = static_cast<int>(message.result_int());
  for (const auto& field : message)
    result.response.headers.push_back(
        {std::string(field.name_string()), std::string(field.value())});
  result.response.body = std::move(message.body());
  // Bytes after the response were never asked for: the connection is out of step.
  result.keep_alive = message.keep_alive() && buffer.size() == 0;
  co_return result;
}

} // namespace

asio::awaitable<ExchangeResult> exchange(Connection& connection, const BeastRequest& request,
                                         const ClientOptions& options) {
  if (Connection::TlsStream* secure = connection.tls())
    co_return co_await exchange_on(*secure, connection.tcp(), request, options);
  co_return co_await exchange_on(*connection.plain(), connection.tcp(), request, options);
}

} // namespace sluice::http::detail
