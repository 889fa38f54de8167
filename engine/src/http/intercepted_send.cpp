// The interceptor seam: every request of a run with an interceptor passes here, on the
// sending node's executor. The interceptor sees redacted copies only; the real request goes
// to the client untouched.

#include "intercepted_send.hpp"

#include "failure.hpp"
#include "redaction.hpp"

#include <sluice/url.hpp>

#include <exception>
#include <stdexcept>

namespace sluice {

HttpInterceptor::~HttpInterceptor() = default;
void HttpInterceptor::after_receive(const HttpExchange&, const HttpResponse&) {
}
void HttpInterceptor::after_failure(const HttpExchange&, const std::string&) {
}

namespace http {

namespace {

// "POST https://host:443/path" for messages, as the client's own errors say it: never the
// query.
std::string describe(const HttpRequest& request) {
  try {
    return detail::attempt_for(request.method, parse_request_url(request.url)).description;
  } catch (const std::invalid_argument&) {
    return request.method + " (an invalid URL)";
  }
}

} // namespace

boost::asio::awaitable<HttpResponse> send_intercepted(HttpClient& client,
                                                      HttpInterceptor& interceptor,
                                                      HttpExchange exchange, HttpRequest request) {
  Redactor redactor(request);
  exchange.request = redactor.request(request);
  HttpDecision decision = interceptor.before_send(exchange);
  switch (decision.kind) {
  case HttpDecision::Kind::refuse: {
    const std::string message = describe(request) + ": " +
                                std::string(to_string(HttpFailureStage::refused)) + ": " +
                                decision.reason;
    interceptor.after_failure(exchange, message);
    throw HttpError(message, HttpFailureStage::refused, {}, false, false);
  }
  case HttpDecision::Kind::answer:
    interceptor.after_receive(exchange, decision.response);
    co_return std::move(decision.response);
  case HttpDecision::Kind::send:
    break;
  }
  // Failures are reported outside the handler: a coroutine cannot co_await in one, and the
  // interceptor may take a lock.
  std::exception_ptr failure;
  std::string message;
  HttpResponse response;
  try {
    response = co_await client.send(std::move(request));
  } catch (const HttpError& e) {
    message = e.what();
    failure = std::current_exception();
  } catch (const std::invalid_argument& e) {
    message = e.what();
    failure = std::current_exception();
  }
  if (failure) {
    interceptor.after_failure(exchange, message);
    std::rethrow_exception(failure);
  }
  interceptor.after_receive(exchange, redactor.response(response));
  co_return response;
}

} // namespace http
} // namespace sluice
