#pragma once
// Sending a request past a run's interceptor (sluice/http_interceptor.hpp).

#include <sluice/http.hpp>
#include <sluice/http_interceptor.hpp>

#include <boost/asio/awaitable.hpp>

namespace sluice::http {

/// Shows `request` (redacted) to `interceptor` as `exchange` says where it comes from, then
/// sends it through `client`, answers it or refuses it as the interceptor decides, and shows
/// the interceptor the answer or the failure.
boost::asio::awaitable<HttpResponse> send_intercepted(HttpClient& client,
                                                      HttpInterceptor& interceptor,
                                                      HttpExchange exchange, HttpRequest request);

} // namespace sluice::http
