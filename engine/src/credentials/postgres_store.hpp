#pragma once
// The CredentialStore in a PostgreSQL database, shared by every Sluice process pointed at it.
// The database is not trusted with secrets: client secrets and tokens are sealed one by one
// (sealed_secret.hpp) under the store's key, which stays on the machines (key file or
// SLUICE_CREDENTIALS_KEY) and never reaches the server. A sealed check value in the database
// tells a machine holding another key apart from damaged rows.
//
// Concurrency follows the SQLCipher store's rules with PostgreSQL's means: token updates are a
// compare-and-set on the version column, and a refresh holds the connection's row lock
// (SELECT ... FOR UPDATE) while it talks to the provider, so one process per expiry refreshes
// and the others wait, then read its tokens.
//
// Every write that seals first takes a share lock on the key row and checks that the key is
// still the one this process opened with: a store re-encrypted meanwhile (`rekey`, which
// locks that row exclusively first) refuses the write instead of getting a row sealed with a
// key nobody uses any more. Key row first, connection row second, in every transaction.

#include "../postgres/pool.hpp"
#include "sealed_secret.hpp"

#include <sluice/credentials.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace sluice::credentials {

struct PostgresCredentialOptions {
  postgres::PoolOptions pool;
  /// How long a refresh waits for another process's refresh of the same connection.
  std::chrono::milliseconds lock_timeout{30000};
};

class PostgresCredentialStore final : public CredentialStore {
public:
  /// Connects and brings the schema up to date. Throws CredentialError{unavailable} when the
  /// database cannot be reached or is newer than this Sluice.
  explicit PostgresCredentialStore(PostgresCredentialOptions options);

  /// Whether the database already has a key check (connections were stored with some key).
  bool has_key() const;
  /// Uses `key` from now on: checks it against the database's check value, or stores one made
  /// with it when the database has none. Throws CredentialError{unavailable}, naming
  /// `key_origin`, when the database was keyed with another key. Call before anything else.
  void use_key(const StoreKey& key, const std::string& key_origin);

  /// Re-seals every secret and the check value with `next` in one transaction, and uses it from
  /// then on. Other processes still holding the old key get a clear error on their next write
  /// (and cannot read the re-sealed rows) until they are given the new key.
  void rekey(const StoreKey& next);

  /// How `import` went.
  enum class Imported { copied, replaced, kept };
  /// Copies `connection` as it is (version, times, status) for `sluice connections migrate`.
  /// A connection of that name already here is kept unless `replace`.
  Imported import(const Connection& connection, bool replace);

  std::optional<Connection> find(std::string_view name) override;
  std::vector<Connection> list(std::string_view provider) override;
  Connection save_new(const NewConnection& connection, bool replace) override;
  Connection update_tokens(std::string_view name, std::int64_t expected_version,
                           const Tokens& tokens) override;
  Connection refresh_under_lock(std::string_view name, const RefreshPolicy& policy,
                                const std::function<Tokens(const Connection&)>& refresh) override;
  Connection refresh_under_lock_committing(
      std::string_view name, const RefreshPolicy& policy,
      const std::function<Tokens(const Connection&, const CommitTokens& commit)>& refresh) override;
  void mark_needs_reauthorisation(std::string_view name, std::string_view reason) override;
  void record_use(std::string_view name) override;
  bool remove(std::string_view name) override;

private:
  struct Row; // a connection with its id (the sealing's associated data)

  template <typename Operation> auto guarded(std::string_view name, Operation&& operation) const;
  std::optional<Row> read(postgres::Connection& db, std::string_view name, bool for_update) const;
  Row read_existing(postgres::Connection& db, std::string_view name, bool for_update) const;
  Row decode(const postgres::Result& result, int row) const;
  std::string sealed_hex(std::string_view plaintext, const std::string& id,
                         std::string_view column) const;
  // Writes `tokens` over the row at `version` (the caller holds its lock or accepts a
  // conflict); returns whether it changed.
  bool write_tokens(postgres::Connection& db, const Row& row, const Tokens& tokens) const;
  // After a COMMIT whose answer was lost: stores `tokens` unless they are there already.
  void store_after_lost_commit(const Row& row, const Tokens& tokens);
  std::chrono::milliseconds timeout() const noexcept { return options_.pool.statement_timeout; }
  // In a writing transaction, before any connection row is locked: holds the key row (share)
  // and throws when the store was re-encrypted since this process opened it.
  void require_current_key(postgres::Connection& db) const;
  // Every sealing write: a transaction tried again after a lost connection, which holds the
  // key row (require_current_key) before `work(db, transaction, again)` locks any connection
  // row and commits; `again` says an earlier attempt's COMMIT may have landed.
  template <typename Work> void writing(Work&& work);

  PostgresCredentialOptions options_;
  std::string shown_; // the database's address without a password, for messages
  mutable postgres::Pool pool_;
  std::optional<SecretSealer> sealer_;
  std::string key_origin_;
  std::string check_hex_; // the check value this process verified its key against
};

} // namespace sluice::credentials
