#pragma once
// The CredentialStore on one SQLCipher connection. Threads of one process share the
// connection behind a mutex; processes coordinate through SQLite's file locks.

#include "database.hpp"

#include <sluice/credentials.hpp>

#include <memory>
#include <mutex>

namespace sluice::credentials {

class SqlCipherCredentialStore final : public CredentialStore {
public:
  /// Takes an open, keyed, migrated database (see store_file.hpp).
  explicit SqlCipherCredentialStore(std::unique_ptr<Database> database);

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
  // Runs `operation` under the mutex, turning SQLite failures into CredentialErrors.
  template <typename Operation> auto locked(std::string_view name, Operation&& operation);

  std::optional<Connection> read(std::string_view name);
  Connection read_existing(std::string_view name);
  // Writes `tokens` over the row with `update`, a statement of token_update_sql (prepared
  // by the caller, ahead of time where that matters); the caller holds the write
  // transaction.
  void write_tokens(Statement& update, std::string_view name, std::int64_t version,
                    const Tokens& tokens);

  std::mutex mutex_;
  std::unique_ptr<Database> database_;
};

} // namespace sluice::credentials
