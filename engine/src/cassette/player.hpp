#pragma once
// Owns replaying a cassette (sluice/cassette.hpp) into a run: the interceptor that answers each
// request from the recording and never lets one out, and the connections it stands in for.

#include <sluice/cassette.hpp>
#include <sluice/credentials.hpp>
#include <sluice/http_interceptor.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sluice::detail {

/// Answers every request of a run with a recorded exchange that matches it: the same method,
/// URL path, query (in any order) and body (compared as JSON when both are JSON). Each
/// recorded exchange answers once. A request nothing matches is refused (nothing is sent).
/// Thread-safe.
class CassettePlayer final : public HttpInterceptor {
public:
  explicit CassettePlayer(Cassette cassette);

  HttpDecision before_send(const HttpExchange& exchange) override;

  /// One line per request that no recorded exchange matched, naming the nearest recorded one.
  std::vector<std::string> unmatched() const;
  /// One line per recorded exchange no request used.
  std::vector<std::string> unused() const;
  /// The requests answered, as "METHOD /path", in the order they were sent.
  std::vector<std::string> calls() const;

private:
  Cassette cassette_;
  mutable std::mutex mutex_;
  std::vector<bool> used_;
  std::vector<std::string> unmatched_;
  std::vector<std::string> calls_;
};

/// Lets every request through and keeps "METHOD /path" of each, in the order they were sent:
/// what `expect: calls` compares when a case replays no cassette.
class CallLog final : public HttpInterceptor {
public:
  HttpDecision before_send(const HttpExchange& exchange) override;
  std::vector<std::string> calls() const;

private:
  mutable std::mutex mutex_;
  std::vector<std::string> calls_;
};

/// A connection store holding `connections` with placeholder tokens that never expire, so a
/// replayed run needs neither the user's store nor a token request. It changes nothing.
std::shared_ptr<CredentialStore> replayed_connections(std::vector<CassetteConnection> connections);

/// "METHOD /path": how a request is named in `calls` and in messages (never its query).
std::string call_of(const HttpRequest& request);

} // namespace sluice::detail
