#pragma once
// Zoom's OAuth 2.0 token endpoint (docs/zoom-api.md §5): authorization code (+ PKCE), refresh
// (rotating refresh tokens), account_credentials (server-to-server), revocation.

#include "endpoints.hpp"
#include "services.hpp"

#include <sluice/credentials.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sluice::zoom {

/// The token endpoint refused (HTTP 4xx with an OAuth error). The message is Zoom's reason
/// plus what to do; it never contains a token or the client secret.
class OAuthError : public std::runtime_error {
public:
  OAuthError(int status, std::string error, const std::string& message);
  int status() const noexcept { return status_; }
  /// The OAuth `error` field, e.g. "invalid_grant", "invalid_client".
  const std::string& error() const noexcept { return error_; }
  /// The grant is gone (refresh token used twice, revoked, expired; code used or expired).
  bool grant_rejected() const noexcept { return error_ == "invalid_grant"; }

private:
  int status_;
  std::string error_;
};

/// The client credentials a token request authenticates with (HTTP Basic).
struct ClientCredentials {
  std::string client_id;
  Secret client_secret; ///< empty for a public PKCE client (then client_id goes in the form)
};

/// A token answer.
struct TokenAnswer {
  Tokens tokens;
  /// Zoom's `api_url` (server-to-server answers), when present.
  std::optional<std::string> api_url;
};

using Form = std::vector<std::pair<std::string, std::string>>;

/// POSTs `form` to the token endpoint. Throws OAuthError when Zoom refuses, NodeError
/// (transient) when it cannot be reached or answers 5xx.
boost::asio::awaitable<TokenAnswer> request_token(HttpClient& client, const Endpoints& endpoints,
                                                  const ClientCredentials& credentials, Form form);

boost::asio::awaitable<TokenAnswer> exchange_code(HttpClient& client, const Endpoints& endpoints,
                                                  const ClientCredentials& credentials,
                                                  const std::string& code,
                                                  const std::string& redirect_uri,
                                                  const Secret& code_verifier);

/// The token request that renews `connection`'s access token: refresh_token for user
/// grants, account_credentials for server-to-server.
boost::asio::awaitable<TokenAnswer> renew(HttpClient& client, const Connection& connection,
                                          const Secret& client_secret);

/// Revokes the grant `token` belongs to. A token Zoom no longer knows is not an error.
boost::asio::awaitable<void> revoke(HttpClient& client, const Endpoints& endpoints,
                                    const ClientCredentials& credentials, const Secret& token);

/// The connection's client secret: stored, or read from where `client_secret_source`
/// says ("env:NAME", "file:PATH"). Throws CredentialError{needs_reauthorisation} when it
/// cannot be found.
Secret client_secret_of(const Connection& connection);

/// Blocking form of `renew` for `CredentialStore::refresh_under_lock_committing` (which calls
/// its function with the store locked, on a blocking thread): runs the request on
/// `services.io` and waits. The new tokens are committed on `services.io` as soon as Zoom's
/// answer is parsed, before this thread wakes: Zoom has already retired the old refresh
/// token, and a process killed in between would lose the new one. `invalid_grant` becomes
/// RefreshTokenRejected.
Tokens renew_blocking(const Services& services, const Connection& connection,
                      const CredentialStore::CommitTokens& commit);

} // namespace sluice::zoom
