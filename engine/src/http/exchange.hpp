#pragma once
// One request/response exchange on an open connection.

#include "connection.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace sluice::http::detail {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// What happened: either a response, or the facts the resend rule and HttpError need.
struct ExchangeResult {
  bool ok = false;
  HttpResponse response;
  bool keep_alive = false;       // the connection may carry another request
  FailureFacts failure;          // when !ok
  bool response_started = false; // some response byte arrived before the failure
};

// Writes `request` and reads the whole response within options.response_timeout. Failures
// (including the caller's cancellation) come back in the result; it never throws for them.
boost::asio::awaitable<ExchangeResult> exchange(Connection& connection, const BeastRequest& request,
                                                const ClientOptions& options);

} // namespace sluice::http::detail
