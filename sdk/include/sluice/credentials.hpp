#pragma once
/// @file
/// Named connections to external services (OAuth grants and their tokens), as a plugin sees
/// them. The engine keeps them in an encrypted store; a plugin reads a connection, saves a
/// new one after a consent flow, and refreshes its tokens with `refresh_under_lock`, which
/// makes concurrent refreshes (threads and processes) agree on exactly one winner.
///
/// ```
/// // Before calling the API: make sure the access token is good for another minute.
/// sluice::Connection c = store.refresh_under_lock(
///     "zoom-work", sluice::RefreshPolicy::expiring_within(std::chrono::seconds(60)),
///     [&](const sluice::Connection& stale) { return zoom.refresh(stale.refresh_token); });
/// // After a 401 "invalid access token" answer: refresh once, unless someone already has.
/// c = store.refresh_under_lock("zoom-work", sluice::RefreshPolicy::after_rejection(c.version),
///                              refresh);
/// ```
///
/// Tokens and client secrets are `Secret`s: they never reach logs, outputs or error
/// messages, because nothing prints a `Secret` unless it calls `reveal()`.

#include <sluice/export.hpp>
#include <sluice/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// A secret string (token, client secret). It has no stream operator and no implicit
/// conversion, so it cannot end up in a log line or a message by accident; the memory is
/// wiped when the value dies.
class Secret {
public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
  Secret& operator=(const Secret& other) {
    if (this != &other) {
      wipe();
      value_ = other.value_;
    }
    return *this;
  }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = std::move(other.value_);
      other.wipe();
    }
    return *this;
  }
  ~Secret() { wipe(); }

  /// The secret itself: only for putting it on the wire or into the store.
  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  friend bool operator==(const Secret& a, const Secret& b) noexcept { return a.value_ == b.value_; }

private:
  void wipe() noexcept {
    // volatile: a plain loop before the free is a dead store the optimiser may drop.
    volatile char* bytes = value_.data();
    for (std::size_t i = 0; i < value_.size(); ++i)
      bytes[i] = 0;
    value_.clear();
  }
  std::string value_;
};

/// Whether a connection can be used.
enum class ConnectionStatus {
  healthy,               ///< tokens are usable (possibly after a refresh)
  needs_reauthorisation, ///< the grant is gone (refresh token rejected, revoked): a human
                         ///< must authorise again; `status_reason` says why
};
/// "healthy" or "needs_reauthorisation".
SLUICE_SDK_API std::string_view to_string(ConnectionStatus status) noexcept;

using Timestamp = std::chrono::system_clock::time_point;

/// One stored connection.
struct Connection {
  std::string name;     ///< unique, user-chosen, e.g. "zoom-work"
  std::string provider; ///< the plugin that owns it, e.g. "zoom"
  /// Who authorised it: an object with `user_id`, `email`, `account_id` (any may be absent).
  Value account;
  std::vector<std::string> scopes; ///< as granted by the provider
  std::string grant_type;          ///< "authorization_code", "account_credentials", ...
  std::string client_id;
  /// The client secret when stored here, or empty when `client_secret_source` names where
  /// it is read from (e.g. "env:ZOOM_CLIENT_SECRET"); public PKCE clients have neither.
  Secret client_secret;
  std::string client_secret_source;
  Secret access_token;
  Secret refresh_token;   ///< empty for grants without one (server-to-server)
  Timestamp expires_at{}; ///< of the access token
  ConnectionStatus status = ConnectionStatus::healthy;
  std::string status_reason; ///< why it needs re-authorisation; empty when healthy
  /// Provider-specific, non-secret details (e.g. Zoom's `api_url`); an object or null.
  Value extra;
  Timestamp created_at{};
  Timestamp updated_at{};
  std::optional<Timestamp> last_used_at;
  /// Incremented by every change; the compare-and-set token of `update_tokens`.
  std::int64_t version = 0;
};

/// What a provider hands back from a token request.
struct Tokens {
  Secret access_token;
  /// The new refresh token. Empty keeps the stored one (providers that do not rotate, or
  /// grants without refresh tokens).
  Secret refresh_token;
  Timestamp expires_at{};
  /// The granted scopes when the answer lists them; nullopt keeps the stored ones.
  std::optional<std::vector<std::string>> scopes;
};

/// When `refresh_under_lock` considers a connection stale (either condition suffices).
struct RefreshPolicy {
  /// Stale when the access token expires within this margin.
  std::chrono::seconds min_validity{60};
  /// Stale when the stored version is still this one: the access token of that version was
  /// rejected by the service. If another thread or process has refreshed since, its new
  /// token is returned without a second refresh (single flight).
  std::optional<std::int64_t> rejected_version;

  /// Stale when the access token expires within `margin`.
  static RefreshPolicy expiring_within(std::chrono::seconds margin) {
    RefreshPolicy policy;
    policy.min_validity = margin;
    return policy;
  }
  /// Stale when still at `version`, whose access token the service rejected (or expiring
  /// within the default margin).
  static RefreshPolicy after_rejection(std::int64_t version) {
    RefreshPolicy policy;
    policy.rejected_version = version;
    return policy;
  }
};

/// Why a credential operation failed. The message names the connection and says what to
/// do; it never contains a secret.
class SLUICE_SDK_API CredentialError : public std::runtime_error {
public:
  enum class Kind {
    not_found,             ///< no connection of that name
    already_exists,        ///< `save_new` with a name that is taken
    conflict,              ///< compare-and-set lost: the version moved on; re-read
    needs_reauthorisation, ///< the grant is gone; a human must authorise again
    busy,                  ///< the store stayed locked longer than the busy timeout
    unavailable,           ///< the store cannot be opened or read (wrong key, corrupt)
  };
  CredentialError(Kind kind, const std::string& message);
  Kind kind() const noexcept { return kind_; }

private:
  Kind kind_;
};

/// Thrown by a refresh function when the provider rejected the refresh token itself
/// (OAuth `invalid_grant`: used twice, revoked, expired). `refresh_under_lock` then marks the
/// connection as needing re-authorisation, with this message as the reason, and throws
/// `CredentialError{needs_reauthorisation}`. Never put the token in the message.
class SLUICE_SDK_API RefreshTokenRejected : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A new connection, as a consent flow produces it.
struct NewConnection {
  std::string name;
  std::string provider;
  Value account;
  std::vector<std::string> scopes;
  std::string grant_type;
  std::string client_id;
  Secret client_secret;
  std::string client_secret_source;
  Tokens tokens;
  Value extra;
};

/// The encrypted connection store. All operations are thread-safe, and safe against other
/// processes using the same store file; every write is one transaction, so a crash leaves
/// either the old or the new state.
class SLUICE_SDK_API CredentialStore {
public:
  virtual ~CredentialStore();

  /// The connection named `name`, or nullopt.
  virtual std::optional<Connection> find(std::string_view name) = 0;
  /// All connections, or those of `provider` when it is not empty, sorted by name.
  virtual std::vector<Connection> list(std::string_view provider = {}) = 0;

  /// Stores a new connection (version 1, healthy). With `replace`, an existing connection of
  /// that name is re-authorised in place (keeps its creation time, bumps its version);
  /// otherwise an existing name throws `CredentialError{already_exists}`.
  virtual Connection save_new(const NewConnection& connection, bool replace = false) = 0;

  /// Compare-and-set: stores `tokens` only if the connection is still at `expected_version`
  /// (throws `CredentialError{conflict}` otherwise), marks it healthy, bumps the version.
  virtual Connection update_tokens(std::string_view name, std::int64_t expected_version,
                                   const Tokens& tokens) = 0;

  /// Refreshes the connection's tokens if, and only if, they are still stale (`policy`)
  /// after re-reading them under the store's write lock; returns the fresh connection.
  ///
  /// `refresh` is called at most once, with the write lock held, so concurrent callers in
  /// other threads and processes wait and then see its result instead of refreshing again.
  /// Its result is committed in one local transaction before this returns, so a rotated
  /// refresh token is persisted before anyone uses the new access token. Keep `refresh` to
  /// the one token request: no other I/O. If it throws `RefreshTokenRejected`, the
  /// connection is marked as needing re-authorisation and `CredentialError
  /// {needs_reauthorisation}` is thrown; any other exception leaves the store unchanged and
  /// propagates. A connection that already needs re-authorisation throws without calling.
  virtual Connection
  refresh_under_lock(std::string_view name, const RefreshPolicy& policy,
                     const std::function<Tokens(const Connection&)>& refresh) = 0;

  /// Marks the connection as unusable until a human authorises again; `reason` is shown to
  /// the user (no secrets).
  virtual void mark_needs_reauthorisation(std::string_view name, std::string_view reason) = 0;

  /// Records that the connection was just used (for `sluice connections list`).
  virtual void record_use(std::string_view name) = 0;

  /// Deletes the connection; false when there was none of that name.
  virtual bool remove(std::string_view name) = 0;

  // -- SDK ABI 1.6 --------------------------------------------------------------------------

  /// Stores the tokens of the refresh in progress: see `refresh_under_lock_committing`.
  using CommitTokens = std::function<void(const Tokens&)>;

  /// `refresh_under_lock`, with a `commit` for `refresh` to call with the new tokens the
  /// moment the provider's answer is parsed, from whichever thread parsed it: the rotated
  /// refresh token is then stored before anything else happens, where otherwise it waits for
  /// the thread holding the lock to wake up and return, a window in which a killed process
  /// loses it. Call `commit` at most once; `refresh` must then return the same tokens. A
  /// `refresh` that returns without calling it is stored as `refresh_under_lock` stores it.
  /// Nothing but `commit` may use this store while `refresh` runs. The default
  /// implementation (a store that cannot commit early) stores after `refresh` returns.
  virtual Connection refresh_under_lock_committing(
      std::string_view name, const RefreshPolicy& policy,
      const std::function<Tokens(const Connection&, const CommitTokens& commit)>& refresh);
};

} // namespace sluice
