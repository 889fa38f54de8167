#pragma once
/// @file
/// The one place every HTTP request of a run passes (`RunOptions::http_interceptor`): an
/// interceptor sees each request and its answer, and may answer a request itself (from a
/// recording) or refuse to let it be sent. What it sees is redacted: every secret the request
/// carries (the values its node listed in `HttpRequest::secrets`, the `Authorization`,
/// `Proxy-Authorization` and `Cookie` headers, and the answer's `secret_response_fields`)
/// reads `[redacted]`, wherever it appears, so a recording can be kept and shown.
///
/// ```
/// struct Log : sluice::HttpInterceptor {
///   sluice::HttpDecision before_send(const sluice::HttpExchange& e) override {
///     if (e.request.method == "DELETE")
///       return sluice::HttpDecision::refuse("this run may not delete anything");
///     return sluice::HttpDecision::send();
///   }
///   void after_receive(const sluice::HttpExchange& e, const sluice::HttpResponse& r) override {
///     std::lock_guard lock(mutex);
///     lines.push_back(e.request.method + " " + e.request.url + " -> " + std::to_string(r.status));
///   }
///   std::mutex mutex;
///   std::vector<std::string> lines;
/// };
/// ```

#include <sluice/export.hpp>
#include <sluice/http.hpp>
#include <sluice/redact.hpp>

#include <cstdint>
#include <string>

namespace sluice {

/// One request as an interceptor sees it.
struct HttpExchange {
  /// The node that sends it (its id in the pipeline).
  std::string node;
  /// Under `for_each`: the element's index; -1 otherwise.
  std::int64_t index = -1;
  /// The node's attempt (1 for the first).
  int attempt = 1;
  /// The request, redacted; its `secrets` list is empty.
  HttpRequest request;
};

/// What to do with a request.
struct HttpDecision {
  enum class Kind {
    send,   ///< send it
    answer, ///< do not send it: `response` is its answer
    refuse, ///< do not send it: the node gets an HttpError (stage `refused`) with `reason`
  };
  Kind kind = Kind::send;
  HttpResponse response;
  std::string reason;

  static HttpDecision send() { return {}; }
  static HttpDecision answer(HttpResponse response) {
    HttpDecision decision;
    decision.kind = Kind::answer;
    decision.response = std::move(response);
    return decision;
  }
  static HttpDecision refuse(std::string reason) {
    HttpDecision decision;
    decision.kind = Kind::refuse;
    decision.reason = std::move(reason);
    return decision;
  }
};

/// Sees every request of a run. Called on the engine's threads, possibly concurrently (nodes
/// run in parallel): implementations must be thread-safe, and quick (a node waits for them).
class SLUICE_API HttpInterceptor {
public:
  virtual ~HttpInterceptor();
  /// Before the request is sent.
  virtual HttpDecision before_send(const HttpExchange& exchange) = 0;
  /// After its answer arrived (or `before_send` gave one), redacted like the request.
  virtual void after_receive(const HttpExchange& exchange, const HttpResponse& response);
  /// After it failed (no answer): the HttpError's message (which never holds a secret).
  virtual void after_failure(const HttpExchange& exchange, const std::string& message);
};

} // namespace sluice
