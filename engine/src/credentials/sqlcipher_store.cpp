// Connections as rows; every write is one BEGIN IMMEDIATE transaction with a version check.

#include "sqlcipher_store.hpp"
#include "connection_fields.hpp"

#include <sluice/value.hpp>

#include <stdexcept>

namespace sluice::credentials {

namespace {

using Kind = CredentialError::Kind;

// How write_tokens stores new tokens. An empty refresh token or absent scopes keep the stored
// ones (see Tokens). OR ROLLBACK: inside a transaction a plain UPDATE makes SQLite keep a
// statement journal, and SQLCipher encrypts each page that goes into it; this statement runs
// in the window in which a kill loses a rotated refresh token, and a failure ends the
// transaction anyway.
constexpr std::string_view token_update_sql =
    "UPDATE OR ROLLBACK connections SET access_token = ?1,"
    " refresh_token = CASE WHEN ?2 = '' THEN refresh_token ELSE ?2 END,"
    " expires_at = ?3, scopes = CASE WHEN ?4 IS NULL THEN scopes ELSE ?4 END,"
    " status = 'healthy', status_reason = '', updated_at = ?5,"
    " version = version + 1 WHERE name = ?6 AND version = ?7";

constexpr const char* select_columns =
    "SELECT name, provider, account, scopes, grant_type, client_id, client_secret,"
    " client_secret_source, access_token, refresh_token, expires_at, status, status_reason,"
    " extra, created_at, updated_at, last_used_at, version FROM connections";

Connection read_row(const Statement& row) {
  Connection c;
  c.name = row.text(0);
  c.provider = row.text(1);
  c.account = Value::parse_json(row.text(2));
  c.scopes = split_scopes(row.text(3));
  c.grant_type = row.text(4);
  c.client_id = row.text(5);
  c.client_secret = Secret(row.text(6));
  c.client_secret_source = row.text(7);
  c.access_token = Secret(row.text(8));
  c.refresh_token = Secret(row.text(9));
  c.expires_at = from_millis(row.integer(10));
  c.status = status_of(row.text(11));
  c.status_reason = row.text(12);
  c.extra = Value::parse_json(row.text(13));
  c.created_at = from_millis(row.integer(14));
  c.updated_at = from_millis(row.integer(15));
  if (!row.is_null(16))
    c.last_used_at = from_millis(row.integer(16));
  c.version = row.integer(17);
  return c;
}

} // namespace

SqlCipherCredentialStore::SqlCipherCredentialStore(std::unique_ptr<Database> database)
    : database_(std::move(database)) {
}

template <typename Operation>
auto SqlCipherCredentialStore::locked(std::string_view name, Operation&& operation) {
  std::lock_guard lock(mutex_);
  try {
    return operation();
  } catch (const DatabaseError& e) {
    // The SQLite message names tables and constraints, never values: safe to show.
    if (e.busy())
      throw CredentialError(Kind::busy, "the credential store stayed locked by another process "
                                        "while working on " +
                                            in_quotes(name) + "; try again");
    throw CredentialError(Kind::unavailable,
                          "credential store error on " + in_quotes(name) + ": " + e.what());
  } catch (const JsonError& e) {
    throw CredentialError(Kind::unavailable,
                          "connection " + in_quotes(name) + " holds unreadable JSON: " + e.what());
  }
}

std::optional<Connection> SqlCipherCredentialStore::read(std::string_view name) {
  Statement select(*database_, std::string(select_columns) + " WHERE name = ?");
  select.bind(1, name);
  if (!select.step())
    return std::nullopt;
  return read_row(select);
}

Connection SqlCipherCredentialStore::read_existing(std::string_view name) {
  auto connection = read(name);
  if (!connection)
    throw not_found(name);
  return std::move(*connection);
}

std::optional<Connection> SqlCipherCredentialStore::find(std::string_view name) {
  return locked(name, [&] { return read(name); });
}

std::vector<Connection> SqlCipherCredentialStore::list(std::string_view provider) {
  return locked(provider, [&] {
    Statement select(*database_,
                     std::string(select_columns) + " WHERE ?1 = '' OR provider = ?1 ORDER BY name");
    select.bind(1, provider);
    std::vector<Connection> connections;
    while (select.step())
      connections.push_back(read_row(select));
    return connections;
  });
}

Connection SqlCipherCredentialStore::save_new(const NewConnection& c, bool replace) {
  if (c.name.empty() || c.provider.empty())
    throw CredentialError(Kind::unavailable, "a connection needs a name and a provider");
  return locked(c.name, [&] {
    WriteTransaction transaction(*database_);
    const auto existing = read(c.name);
    if (existing && !replace)
      throw already_exists(c.name);
    const std::int64_t now = now_millis();
    Statement upsert(*database_,
                     "INSERT OR REPLACE INTO connections (name, provider, account, scopes,"
                     " grant_type, client_id, client_secret, client_secret_source, access_token,"
                     " refresh_token, expires_at, status, status_reason, extra, created_at,"
                     " updated_at, last_used_at, version)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,'healthy','',?,?,?,?,?)");
    upsert.bind(1, c.name)
        .bind(2, c.provider)
        .bind(3, c.account.to_json())
        .bind(4, join_scopes(c.scopes))
        .bind(5, c.grant_type)
        .bind(6, c.client_id)
        .bind(7, c.client_secret.reveal())
        .bind(8, c.client_secret_source)
        .bind(9, c.tokens.access_token.reveal())
        .bind(10, c.tokens.refresh_token.reveal())
        .bind(11, to_millis(c.tokens.expires_at))
        .bind(12, c.extra.to_json())
        .bind(13, existing ? to_millis(existing->created_at) : now)
        .bind(14, now);
    if (existing && existing->last_used_at)
      upsert.bind(15, to_millis(*existing->last_used_at));
    else
      upsert.bind_null(15);
    upsert.bind(16, existing ? existing->version + 1 : std::int64_t{1});
    upsert.run();
    Connection saved = read_existing(c.name);
    transaction.commit();
    return saved;
  });
}

void SqlCipherCredentialStore::write_tokens(Statement& update, std::string_view name,
                                            std::int64_t version, const Tokens& tokens) {
  update.bind(1, tokens.access_token.reveal())
      .bind(2, tokens.refresh_token.reveal())
      .bind(3, to_millis(tokens.expires_at));
  if (tokens.scopes)
    update.bind(4, join_scopes(*tokens.scopes));
  else
    update.bind_null(4);
  update.bind(5, now_millis()).bind(6, name).bind(7, version);
  update.run();
  if (database_->changes() != 1)
    throw changed_meanwhile(name);
}

Connection SqlCipherCredentialStore::update_tokens(std::string_view name,
                                                   std::int64_t expected_version,
                                                   const Tokens& tokens) {
  return locked(name, [&] {
    WriteTransaction transaction(*database_);
    const Connection current = read_existing(name);
    if (current.version != expected_version)
      throw version_conflict(name, current.version, expected_version);
    Statement update(*database_, token_update_sql);
    write_tokens(update, name, expected_version, tokens);
    Connection updated = read_existing(name);
    transaction.commit();
    return updated;
  });
}

Connection SqlCipherCredentialStore::refresh_under_lock(
    std::string_view name, const RefreshPolicy& policy,
    const std::function<Tokens(const Connection&)>& refresh) {
  return refresh_under_lock_committing(
      name, policy,
      [&refresh](const Connection& stale, const CommitTokens&) { return refresh(stale); });
}

Connection SqlCipherCredentialStore::refresh_under_lock_committing(
    std::string_view name, const RefreshPolicy& policy,
    const std::function<Tokens(const Connection&, const CommitTokens& commit)>& refresh) {
  return locked(name, [&] {
    // Fast path without the write lock: most calls find a valid token.
    {
      const Connection current = read_existing(name);
      if (current.status == ConnectionStatus::healthy && !is_stale(current, policy))
        return current;
    }
    // A refresh is a use, and committing that first, on its own, readies the write-ahead log:
    // the first commit of a process creates it, writes and syncs its header and syncs its
    // folder. Done here, the commit after the provider's answer only appends to the log, which
    // keeps those syncs out of the window in which a kill loses the rotated token.
    Statement(*database_, "UPDATE connections SET last_used_at = ? WHERE name = ?")
        .bind(1, now_millis())
        .bind(2, name)
        .run();
    WriteTransaction transaction(*database_);
    // Re-read under the lock: whoever held it before us may have refreshed already.
    const Connection current = read_existing(name);
    if (current.status != ConnectionStatus::healthy)
      throw needs_authorising_again(name, current.status_reason);
    if (!is_stale(current, policy))
      return current; // the transaction rolls back: nothing was written
    // The only window in which a rotated refresh token can be lost is from the provider's
    // answer to this commit: one local transaction, no other I/O, and nothing in it that
    // could wait until after the commit (the read-back comes after). A provider that calls
    // `commit` does so on the thread that parsed the answer, while this one still waits.
    // The statement is compiled before the request leaves: inside the window, compiling it
    // took 0.08 to 0.12 ms (release build), about half of the window then.
    Statement update(*database_, token_update_sql);
    bool committed = false;
    const CommitTokens commit = [&](const Tokens& tokens) {
      if (committed)
        throw std::logic_error("refresh_under_lock_committing: commit called twice");
      write_tokens(update, name, current.version, tokens);
      transaction.commit();
      committed = true;
    };
    Tokens tokens;
    try {
      tokens = refresh(current, commit);
    } catch (const RefreshTokenRejected& e) {
      if (committed)
        throw; // tokens stored, then a contradiction: nothing more to record
      const std::string reason = rejected_refresh_reason(e);
      Statement mark(
          *database_,
          "UPDATE OR ROLLBACK connections SET status = 'needs_reauthorisation', status_reason = ?,"
          " updated_at = ?, version = version + 1 WHERE name = ?");
      mark.bind(1, reason).bind(2, now_millis()).bind(3, name).run();
      transaction.commit();
      throw needs_authorising_again(name, reason);
    }
    if (!committed)
      commit(tokens);
    return read_existing(name);
  });
}

void SqlCipherCredentialStore::mark_needs_reauthorisation(std::string_view name,
                                                          std::string_view reason) {
  locked(name, [&] {
    WriteTransaction transaction(*database_);
    Statement mark(
        *database_,
        "UPDATE OR ROLLBACK connections SET status = 'needs_reauthorisation', status_reason = ?,"
        " updated_at = ?, version = version + 1 WHERE name = ?");
    mark.bind(1, reason).bind(2, now_millis()).bind(3, name).run();
    if (database_->changes() != 1)
      throw not_found(name);
    transaction.commit();
  });
}

void SqlCipherCredentialStore::record_use(std::string_view name) {
  // Not a token change: the version stays, so no compare-and-set is disturbed.
  locked(name, [&] {
    Statement touch(*database_, "UPDATE connections SET last_used_at = ? WHERE name = ?");
    touch.bind(1, now_millis()).bind(2, name).run();
    if (database_->changes() != 1)
      throw not_found(name);
  });
}

bool SqlCipherCredentialStore::remove(std::string_view name) {
  return locked(name, [&] {
    Statement erase(*database_, "DELETE FROM connections WHERE name = ?");
    erase.bind(1, name).run();
    return database_->changes() == 1;
  });
}

} // namespace sluice::credentials
