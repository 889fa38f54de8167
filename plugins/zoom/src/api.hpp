#pragma once
// Calls to Zoom's REST API for one connection: bearer token kept fresh (refreshed before
// expiry and once after a 401, under the credential store's lock), 429s waited out and the
// connection's requests paced from the rate-limit headers, transport failures retried only
// when that cannot duplicate an effect.

#include "api_errors.hpp"
#include "services.hpp"

#include <sluice/credentials.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sluice::zoom {

struct ApiRequest {
  std::string method;         ///< GET, POST, PATCH, DELETE
  std::string path_and_query; ///< below the API base URL, e.g. "/meetings/123?occurrence_id=1"
  std::optional<Value> body;  ///< sent as JSON
  /// False for create: never sent twice (see AmbiguousOutcome).
  bool idempotent = true;
  /// Zoom's rate-limit label of the operation (docs/zoom-api.md §4): "Light" or "Medium".
  std::string rate_category = "Light";
  CallDescription call;
};

/// An ApiRequest. Build requests with this rather than braces: GCC 12 miscompiles braced
/// aggregate temporaries inside co_await expressions (the strings come out corrupt).
ApiRequest api_request(std::string method, std::string path_and_query, std::string action,
                       std::string scope, std::optional<Value> body = std::nullopt,
                       bool idempotent = true);

/// A non-idempotent request may or may not have taken effect (the connection dropped after
/// it was sent, or Zoom answered 5xx). The caller reconciles before trying again.
class AmbiguousOutcome : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Knobs for tests and pipelines that need them; the defaults follow docs/zoom-api.md.
struct ApiPolicy {
  /// Refresh when the access token expires within this (Rivet: 60 s; Zoom: up to 5 min).
  std::chrono::seconds refresh_margin{120};
  /// How many 429 answers in a row one request waits out before failing.
  int max_rate_limit_waits = 12;
  /// Transport failures that certainly did not reach Zoom (or idempotent requests) are
  /// retried this many times with exponential backoff and jitter.
  int max_transport_retries = 3;
  std::chrono::milliseconds backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  /// One call, its retries and waits included, ends within this: a server that never
  /// answers fails the node after this long, not after every retry's full timeout.
  /// `SLUICE_ZOOM_CALL_DEADLINE` (seconds) overrides it (README.md, "Retries and deadlines").
  std::chrono::milliseconds deadline{60'000};
  /// The node may have run before (a retry, or a run resumed after its worker died): an
  /// answer that finds the change made already counts as done, as after a lost answer.
  bool repeat = false;

  /// The defaults, with the deadline from the environment when it is set and valid.
  static ApiPolicy from_environment();
};

/// The API of one connection. Create one per node run; state shared between runs (token
/// cache, pacing) is process-wide, keyed by store and connection name, and locked: runs on
/// different threads share it. Await `call` from a strand (a node's own executor is one).
class ZoomApi {
public:
  ZoomApi(Services services, CredentialStore& store, std::string connection, ApiPolicy policy = {});

  /// `request` must stay alive until the call completes (name it: see `api_request`).
  /// Sends `request`; returns Zoom's answer whatever its status (callers map 4xx with
  /// `error_for`) except that 401 is retried once after a refresh and 429 is waited out.
  /// Throws NodeError (connection unusable, transport failure) or AmbiguousOutcome.
  boost::asio::awaitable<ApiAnswer> call(const ApiRequest& request);

  /// Like `call`, but a non-2xx answer throws `error_for(...)`.
  boost::asio::awaitable<ApiAnswer> call_ok(const ApiRequest& request);

  /// The NodeError for a non-2xx `answer` to `call` (the connection's name filled in).
  NodeError error(const ApiAnswer& answer, CallDescription call) const;

  const std::string& connection() const noexcept { return connection_; }

  /// Lines for the node's log (rate-limit waits, refreshes, reconciliation); no secrets.
  std::vector<std::string> notes;

private:
  struct TokenView;
  boost::asio::awaitable<TokenView> token(std::optional<std::int64_t> rejected_version);

  Services services_;
  CredentialStore& store_;
  std::string connection_;
  ApiPolicy policy_;
};

} // namespace sluice::zoom
