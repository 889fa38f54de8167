// The run endpoints of a server's API, called from a command line: each call runs the
// engine's HTTP client on an io_context of its own until the answer is in.

#include <sluice/service.hpp>

#include "../http/client.hpp"

#include <sluice/encoding.hpp>
#include <sluice/http.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <stdexcept>

namespace sluice {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::seconds call_timeout{30};

Value call(const ServiceEndpoint& server, std::string method, std::string target) {
  std::string url = server.url;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    throw std::invalid_argument("--server must be an http:// or https:// URL, not '" + server.url +
                                "'");
  if (server.token.empty())
    throw std::invalid_argument("the server's API needs a token: put it in SLUICE_API_TOKEN "
                                "(create one with sluice tokens create NAME on the server)");
  HttpRequest request;
  request.method = std::move(method);
  request.url = url + target;
  request.headers.push_back({"Authorization", "Bearer " + server.token.reveal()});
  request.secrets.push_back(server.token);
  request.timeout = call_timeout;
  request.ca_file = server.ca_file.string();
  request.allow_insecure_http = server.allow_insecure_http;
  request.idempotent = request.method == "GET";

  asio::io_context io;
  http::Client client(http::ClientOptions{});
  std::optional<HttpResponse> response;
  std::exception_ptr failure;
  asio::co_spawn(io, client.send(std::move(request)),
                 [&](std::exception_ptr error, HttpResponse answer) {
                   failure = error;
                   if (!error)
                     response = std::move(answer);
                 });
  io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const HttpError& e) {
      throw std::runtime_error("cannot reach the server at " + url + ": " + e.what());
    }
  }
  Value body;
  try {
    body = Value::parse_json(response->body);
  } catch (const std::exception&) {
    throw std::runtime_error("the server at " + url + " answered " +
                             std::to_string(response->status) +
                             " without JSON: is it a "
                             "sluice server?");
  }
  if (response->status == 404 && target.starts_with("/v1/runs/"))
    return Value(); // an unknown run
  if (response->status >= 400) {
    const Value* error = body.is_object() ? body.find("error") : nullptr;
    throw std::invalid_argument("the server answered " + std::to_string(response->status) + ": " +
                                (error ? error->to_text() : response->body));
  }
  return body;
}

} // namespace

std::vector<Value> remote_runs(const ServiceEndpoint& server, std::string_view pipeline,
                               std::string_view status, std::size_t limit) {
  std::vector<Value> runs;
  std::string cursor;
  // Pages of at most 500 (the API's largest), until `limit` runs or the last page.
  while (runs.size() < limit) {
    std::string target =
        "/v1/runs?limit=" + std::to_string(std::min<std::size_t>(500, limit - runs.size()));
    if (!pipeline.empty())
      target += "&pipeline=" + percent_encode(pipeline);
    if (!status.empty())
      target += "&status=" + percent_encode(status);
    if (!cursor.empty())
      target += "&cursor=" + cursor;
    const Value page = call(server, "GET", target);
    for (const Value& run : page["runs"].as_array())
      runs.push_back(run);
    if (!page["next_cursor"].is_string())
      break;
    cursor = page["next_cursor"].as_string();
  }
  return runs;
}

std::optional<Value> remote_run(const ServiceEndpoint& server, std::string_view id) {
  Value run = call(server, "GET", "/v1/runs/" + percent_encode(id));
  return run.is_null() ? std::nullopt : std::optional(std::move(run));
}

std::string remote_cancel_run(const ServiceEndpoint& server, std::string_view id) {
  const Value answer = call(server, "POST", "/v1/runs/" + percent_encode(id) + "/cancel");
  if (answer.is_null())
    throw std::invalid_argument("no run with id '" + std::string(id) + "'");
  return answer["status"].to_text();
}

} // namespace sluice
