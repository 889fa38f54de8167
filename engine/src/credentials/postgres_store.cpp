// Connections as rows of sluice_connections. Secrets travel and rest sealed (hex-encoded
// BYTEA on the wire, so every parameter stays text); everything else is plain, as
// `sluice connections list` shows it anyway.
//
// A lost connection is tried again (postgres::Pool::with_retry) where a second attempt can
// recognise the first one's commit: ids are chosen before the first attempt, and a token
// update that finds its own tokens one version on knows it committed.

#include "postgres_store.hpp"

#include "../hex_text.hpp"
#include "../postgres/migrations.hpp"
#include "connection_fields.hpp"

#include <sluice/value.hpp>

#include <array>
#include <stdexcept>
#include <sys/random.h>

namespace sluice::credentials {

using postgres::Params;
using postgres::Result;
using postgres::Transaction;
using Kind = CredentialError::Kind;

struct PostgresCredentialStore::Row {
  std::string id;
  Connection connection;
};

namespace {

// Index i takes the schema from version i to i + 1. Append only: databases in use exist.
constexpr std::array<const char*, 1> migrations{{
    "CREATE TABLE sluice_connections ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  provider TEXT NOT NULL,"
    "  account TEXT NOT NULL,"
    "  scopes TEXT NOT NULL,"
    "  grant_type TEXT NOT NULL,"
    "  client_id TEXT NOT NULL,"
    "  client_secret BYTEA NOT NULL,"
    "  client_secret_source TEXT NOT NULL,"
    "  access_token BYTEA NOT NULL,"
    "  refresh_token BYTEA NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  status_reason TEXT NOT NULL,"
    "  extra TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  last_used_at BIGINT,"
    "  version BIGINT NOT NULL"
    ");"
    // One row: a known text sealed with the store's key, to tell a wrong key apart.
    "CREATE TABLE sluice_credential_key ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  check_value BYTEA NOT NULL,"
    "  created_at BIGINT NOT NULL"
    ");",
}};

constexpr std::string_view key_check_text = "sluice credential store key check";
constexpr std::string_view key_check_place = "key check";

constexpr const char* select_columns =
    "SELECT id, name, provider, account, scopes, grant_type, client_id,"
    " encode(client_secret, 'hex'), client_secret_source, encode(access_token, 'hex'),"
    " encode(refresh_token, 'hex'), expires_at, status, status_reason, extra, created_at,"
    " updated_at, last_used_at, version FROM sluice_connections";

constexpr const char* mark_sql =
    "UPDATE sluice_connections SET status = 'needs_reauthorisation', status_reason = $1,"
    " updated_at = $2, version = version + 1 WHERE name = $3";

// 128 random bits as hex: a connection's id, fixed for its life (re-authorising keeps it).
std::string new_connection_id() {
  std::array<unsigned char, 16> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
    throw CredentialError(Kind::unavailable, "getrandom failed: cannot make a connection id");
  return detail::lower_hex(bytes.data(), bytes.size());
}

// Where a sealed value belongs: the connection and the column.
std::string place_of(const std::string& id, std::string_view column) {
  return "connection " + id + " " + std::string(column);
}

// `plaintext` sealed for `place`, as hex text for decode($n, 'hex'): every parameter stays
// text.
std::string sealed_hex_of(const SecretSealer& sealer, std::string_view plaintext,
                          std::string_view place) {
  const std::string sealed = sealer.seal(plaintext, place);
  return detail::lower_hex(reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size());
}

std::string text_of(const Result& result, int row, int column) {
  return std::string(result.text(row, column));
}

} // namespace

template <typename Operation>
auto PostgresCredentialStore::guarded(std::string_view name, Operation&& operation) const {
  const std::string about = name.empty() ? std::string() : " while working on " + in_quotes(name);
  try {
    return operation();
  } catch (const postgres::Error& e) {
    // libpq's and the server's messages name tables and constraints, never values.
    switch (e.kind()) {
    case postgres::Error::Kind::connection:
      throw CredentialError(Kind::unavailable, "cannot reach the credential store " + shown_ +
                                                   about + ": " + e.what() +
                                                   "; check that the database is running and "
                                                   "reachable from here, then try again");
    case postgres::Error::Kind::timeout:
      throw CredentialError(Kind::busy, "the credential store " + shown_ +
                                            " did not answer in time" + about +
                                            " (another process may be refreshing it); try again");
    case postgres::Error::Kind::query:
      break;
    }
    throw CredentialError(Kind::unavailable,
                          "credential store error" + about + ": " + std::string(e.what()));
  } catch (const JsonError& e) {
    throw CredentialError(Kind::unavailable,
                          "connection " + in_quotes(name) + " holds unreadable JSON: " + e.what());
  }
}

PostgresCredentialStore::PostgresCredentialStore(PostgresCredentialOptions options)
    : options_(std::move(options)), shown_(postgres::redact_url(options_.pool.conninfo.reveal())),
      pool_(options_.pool) {
  guarded("", [&] {
    auto lease = pool_.lease();
    postgres::migrate(*lease, "connections", migrations, "the credential store", timeout());
  });
}

bool PostgresCredentialStore::has_key() const {
  bool found = false;
  guarded("", [&] {
    pool_.with_retry([&](postgres::Connection& db) {
      found = db.exec("SELECT 1 FROM sluice_credential_key", timeout()).rows() == 1;
    });
  });
  return found;
}

void PostgresCredentialStore::use_key(const StoreKey& key, const std::string& key_origin) {
  SecretSealer sealer(key);
  std::string check;
  guarded("", [&] {
    const std::string sealed_text = sealed_hex_of(sealer, key_check_text, key_check_place);
    pool_.with_retry([&](postgres::Connection& db) {
      db.exec("INSERT INTO sluice_credential_key (id, check_value, created_at)"
              " VALUES (1, decode($1, 'hex'), $2) ON CONFLICT (id) DO NOTHING",
              Params().add(sealed_text).add(now_millis()), timeout());
      const Result row =
          db.exec("SELECT encode(check_value, 'hex') FROM sluice_credential_key", timeout());
      check = text_of(row, 0, 0);
    });
  });
  const auto bytes = detail::bytes_of_hex(check);
  const auto opened = bytes ? sealer.open(*bytes, key_check_place) : std::nullopt;
  if (!opened || opened->reveal() != key_check_text)
    throw CredentialError(
        Kind::unavailable,
        "the connections in " + shown_ + " are encrypted with another key than the one from " +
            key_origin +
            ": give this machine the key the others use (copy their key file here with mode "
            "0600, or set SLUICE_CREDENTIALS_KEY)");
  sealer_.emplace(key);
  key_origin_ = key_origin;
  check_hex_ = check;
}

void PostgresCredentialStore::require_current_key(postgres::Connection& db) const {
  const Result row =
      db.exec("SELECT encode(check_value, 'hex') FROM sluice_credential_key FOR SHARE", timeout());
  if (row.rows() != 1 || row.text(0, 0) != check_hex_)
    throw CredentialError(Kind::unavailable,
                          "the connections in " + shown_ +
                              " were re-encrypted with a new key after this process opened them "
                              "with the key from " +
                              key_origin_ +
                              ": nothing was written; restart it with the new key (the key file "
                              "or SLUICE_CREDENTIALS_KEY the re-encryption named)");
}

template <typename Work> void PostgresCredentialStore::writing(Work&& work) {
  int attempts = 0;
  pool_.with_retry([&](postgres::Connection& db) {
    const bool again = attempts++ > 0;
    Transaction transaction(db, timeout());
    require_current_key(db);
    work(db, transaction, again);
  });
}

void PostgresCredentialStore::rekey(const StoreKey& next) {
  const SecretSealer next_sealer(next);
  const std::string next_check = sealed_hex_of(next_sealer, key_check_text, key_check_place);
  guarded("", [&] {
    // One attempt: after a lost COMMIT the caller cannot tell, and opening again (with the
    // pending key as the fallback) finds out which key the store has.
    auto lease = pool_.lease();
    postgres::Connection& db = *lease;
    Transaction transaction(db, timeout());
    const Result key_row =
        db.exec("SELECT encode(check_value, 'hex') FROM sluice_credential_key FOR UPDATE",
                options_.lock_timeout);
    if (key_row.rows() != 1 || key_row.text(0, 0) != check_hex_)
      throw CredentialError(Kind::unavailable, "the connections in " + shown_ +
                                                   " were re-encrypted by someone else meanwhile; "
                                                   "nothing was changed");
    const Result rows =
        db.exec(std::string(select_columns) + " ORDER BY name FOR UPDATE", options_.lock_timeout);
    for (int i = 0; i < rows.rows(); ++i) {
      const Row row = decode(rows, i);
      const auto reseal = [&](const Secret& secret, std::string_view column) {
        return sealed_hex_of(next_sealer, secret.reveal(), place_of(row.id, column));
      };
      // Not a token change: the version stays, so no compare-and-set is disturbed.
      db.exec("UPDATE sluice_connections SET client_secret = decode($1, 'hex'),"
              " access_token = decode($2, 'hex'), refresh_token = decode($3, 'hex')"
              " WHERE id = $4",
              Params()
                  .add(reseal(row.connection.client_secret, "client_secret"))
                  .add(reseal(row.connection.access_token, "access_token"))
                  .add(reseal(row.connection.refresh_token, "refresh_token"))
                  .add(row.id),
              timeout());
    }
    db.exec("UPDATE sluice_credential_key SET check_value = decode($1, 'hex'), created_at = $2",
            Params().add(next_check).add(now_millis()), timeout());
    transaction.commit();
  });
  sealer_.emplace(next);
  check_hex_ = next_check;
}

std::string PostgresCredentialStore::sealed_hex(std::string_view plaintext, const std::string& id,
                                                std::string_view column) const {
  if (!sealer_)
    throw std::logic_error("PostgresCredentialStore used before use_key()");
  return sealed_hex_of(*sealer_, plaintext, place_of(id, column));
}

PostgresCredentialStore::Row PostgresCredentialStore::decode(const Result& result, int row) const {
  if (!sealer_)
    throw std::logic_error("PostgresCredentialStore used before use_key()");
  Row decoded;
  decoded.id = text_of(result, row, 0);
  Connection& c = decoded.connection;
  c.name = text_of(result, row, 1);
  const auto open = [&](int column, std::string_view column_name) {
    const auto bytes = detail::bytes_of_hex(result.text(row, column));
    auto secret = bytes ? sealer_->open(*bytes, place_of(decoded.id, column_name)) : std::nullopt;
    if (!secret)
      throw CredentialError(Kind::unavailable,
                            "the " + std::string(column_name) + " of connection " +
                                in_quotes(c.name) + " in " + shown_ +
                                " cannot be decrypted with the key from " + key_origin_ +
                                ": the store was re-encrypted with a new key since this process "
                                "opened it (restart it with that key), or the row was altered or "
                                "copied from elsewhere (authorise the connection again)");
    return std::move(*secret);
  };
  c.provider = text_of(result, row, 2);
  c.account = Value::parse_json(result.text(row, 3));
  c.scopes = split_scopes(text_of(result, row, 4));
  c.grant_type = text_of(result, row, 5);
  c.client_id = text_of(result, row, 6);
  c.client_secret = open(7, "client_secret");
  c.client_secret_source = text_of(result, row, 8);
  c.access_token = open(9, "access_token");
  c.refresh_token = open(10, "refresh_token");
  c.expires_at = from_millis(result.integer(row, 11));
  c.status = status_of(result.text(row, 12));
  c.status_reason = text_of(result, row, 13);
  c.extra = Value::parse_json(result.text(row, 14));
  c.created_at = from_millis(result.integer(row, 15));
  c.updated_at = from_millis(result.integer(row, 16));
  if (!result.is_null(row, 17))
    c.last_used_at = from_millis(result.integer(row, 17));
  c.version = result.integer(row, 18);
  return decoded;
}

std::optional<PostgresCredentialStore::Row> PostgresCredentialStore::read(postgres::Connection& db,
                                                                          std::string_view name,
                                                                          bool for_update) const {
  // Waiting for a row lock is waiting for another process's refresh: it gets the lock
  // timeout, not the statement timeout.
  const Result result =
      db.exec(std::string(select_columns) + " WHERE name = $1" + (for_update ? " FOR UPDATE" : ""),
              Params().add(name), for_update ? options_.lock_timeout : timeout());
  if (result.rows() == 0)
    return std::nullopt;
  return decode(result, 0);
}

PostgresCredentialStore::Row PostgresCredentialStore::read_existing(postgres::Connection& db,
                                                                    std::string_view name,
                                                                    bool for_update) const {
  auto row = read(db, name, for_update);
  if (!row)
    throw not_found(name);
  return std::move(*row);
}

std::optional<Connection> PostgresCredentialStore::find(std::string_view name) {
  return guarded(name, [&] {
    std::optional<Connection> found;
    pool_.with_retry([&](postgres::Connection& db) {
      auto row = read(db, name, false);
      found = row ? std::optional(std::move(row->connection)) : std::nullopt;
    });
    return found;
  });
}

std::vector<Connection> PostgresCredentialStore::list(std::string_view provider) {
  return guarded(provider, [&] {
    std::vector<Connection> connections;
    pool_.with_retry([&](postgres::Connection& db) {
      connections.clear();
      const Result result =
          db.exec(std::string(select_columns) + " WHERE $1 = '' OR provider = $1 ORDER BY name",
                  Params().add(provider), timeout());
      for (int row = 0; row < result.rows(); ++row)
        connections.push_back(decode(result, row).connection);
    });
    return connections;
  });
}

namespace {

// Every column of a connection, in the order of write_row's statements ($1 is the id).
Params row_params(const Connection& c, const std::string& id,
                  const std::function<std::string(std::string_view, std::string_view)>& seal) {
  Params params;
  params.add(id)
      .add(c.name)
      .add(c.provider)
      .add(c.account.to_json())
      .add(join_scopes(c.scopes))
      .add(c.grant_type)
      .add(c.client_id)
      .add(seal(c.client_secret.reveal(), "client_secret"))
      .add(c.client_secret_source)
      .add(seal(c.access_token.reveal(), "access_token"))
      .add(seal(c.refresh_token.reveal(), "refresh_token"))
      .add(to_millis(c.expires_at))
      .add(to_string(c.status))
      .add(c.status_reason)
      .add(c.extra.to_json())
      .add(to_millis(c.created_at))
      .add(to_millis(c.updated_at));
  if (c.last_used_at)
    params.add(to_millis(*c.last_used_at));
  else
    params.add_null();
  params.add(c.version);
  return params;
}

// Inserts the row, or overwrites the one with the same id.
void write_row(postgres::Connection& db, const Params& params, std::chrono::milliseconds timeout) {
  db.exec("INSERT INTO sluice_connections (id, name, provider, account, scopes, grant_type,"
          " client_id, client_secret, client_secret_source, access_token, refresh_token,"
          " expires_at, status, status_reason, extra, created_at, updated_at, last_used_at,"
          " version) VALUES ($1, $2, $3, $4, $5, $6, $7, decode($8, 'hex'), $9,"
          " decode($10, 'hex'), decode($11, 'hex'), $12, $13, $14, $15, $16, $17, $18, $19)"
          " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, provider = EXCLUDED.provider,"
          " account = EXCLUDED.account, scopes = EXCLUDED.scopes,"
          " grant_type = EXCLUDED.grant_type, client_id = EXCLUDED.client_id,"
          " client_secret = EXCLUDED.client_secret,"
          " client_secret_source = EXCLUDED.client_secret_source,"
          " access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token,"
          " expires_at = EXCLUDED.expires_at, status = EXCLUDED.status,"
          " status_reason = EXCLUDED.status_reason, extra = EXCLUDED.extra,"
          " created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,"
          " last_used_at = EXCLUDED.last_used_at, version = EXCLUDED.version",
          params, timeout);
}

bool is_unique_violation(const postgres::Error& e) {
  return e.sqlstate() == "23505";
}

} // namespace

Connection PostgresCredentialStore::save_new(const NewConnection& c, bool replace) {
  if (c.name.empty() || c.provider.empty())
    throw CredentialError(Kind::unavailable, "a connection needs a name and a provider");
  const std::string chosen_id = new_connection_id();
  return guarded(c.name, [&] {
    std::optional<Connection> saved;
    writing([&](postgres::Connection& db, Transaction& transaction, bool again) {
      const auto existing = read(db, c.name, true);
      if (again && existing && existing->id == chosen_id && !replace) {
        saved = existing->connection; // the first attempt's commit landed
        return;
      }
      if (existing && !replace)
        throw already_exists(c.name);
      const std::int64_t now = now_millis();
      Connection row;
      row.name = c.name;
      row.provider = c.provider;
      row.account = c.account;
      row.scopes = c.scopes;
      row.grant_type = c.grant_type;
      row.client_id = c.client_id;
      row.client_secret = c.client_secret;
      row.client_secret_source = c.client_secret_source;
      row.access_token = c.tokens.access_token;
      row.refresh_token = c.tokens.refresh_token;
      row.expires_at = c.tokens.expires_at;
      row.extra = c.extra;
      row.created_at = existing ? existing->connection.created_at : from_millis(now);
      row.updated_at = from_millis(now);
      row.last_used_at = existing ? existing->connection.last_used_at : std::nullopt;
      row.version = existing ? existing->connection.version + 1 : 1;
      const std::string id = existing ? existing->id : chosen_id;
      try {
        write_row(db,
                  row_params(row, id,
                             [&](std::string_view plain, std::string_view column) {
                               return sealed_hex(plain, id, column);
                             }),
                  timeout());
      } catch (const postgres::Error& e) {
        if (is_unique_violation(e)) // created by someone else since our read
          throw already_exists(c.name);
        throw;
      }
      Row written = read_existing(db, c.name, false);
      transaction.commit();
      saved = std::move(written.connection);
    });
    return std::move(*saved);
  });
}

PostgresCredentialStore::Imported PostgresCredentialStore::import(const Connection& connection,
                                                                  bool replace) {
  const std::string chosen_id = new_connection_id();
  return guarded(connection.name, [&] {
    Imported outcome = Imported::kept;
    writing([&](postgres::Connection& db, Transaction& transaction, bool again) {
      const auto existing = read(db, connection.name, true);
      if (again && existing && existing->id == chosen_id) {
        outcome = Imported::copied; // the first attempt's commit landed
        return;
      }
      if (existing && !replace) {
        outcome = Imported::kept;
        return;
      }
      const std::string id = existing ? existing->id : chosen_id;
      write_row(db,
                row_params(connection, id,
                           [&](std::string_view plain, std::string_view column) {
                             return sealed_hex(plain, id, column);
                           }),
                timeout());
      transaction.commit();
      outcome = existing ? Imported::replaced : Imported::copied;
    });
    return outcome;
  });
}

bool PostgresCredentialStore::write_tokens(postgres::Connection& db, const Row& row,
                                           const Tokens& tokens) const {
  // An empty refresh token or absent scopes keep the stored ones (see Tokens).
  Params params;
  params.add(sealed_hex(tokens.access_token.reveal(), row.id, "access_token"));
  if (tokens.refresh_token.empty())
    params.add_null();
  else
    params.add(sealed_hex(tokens.refresh_token.reveal(), row.id, "refresh_token"));
  params.add(to_millis(tokens.expires_at));
  if (tokens.scopes)
    params.add(join_scopes(*tokens.scopes));
  else
    params.add_null();
  params.add(now_millis()).add(row.id).add(row.connection.version);
  const Result result = db.exec(
      "UPDATE sluice_connections SET access_token = decode($1, 'hex'),"
      " refresh_token = CASE WHEN $2::text IS NULL THEN refresh_token"
      " ELSE decode($2, 'hex') END,"
      " expires_at = $3, scopes = COALESCE($4, scopes), status = 'healthy', status_reason = '',"
      " updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
      params, timeout());
  return result.affected() == 1;
}

Connection PostgresCredentialStore::update_tokens(std::string_view name,
                                                  std::int64_t expected_version,
                                                  const Tokens& tokens) {
  return guarded(name, [&] {
    std::optional<Connection> updated;
    writing([&](postgres::Connection& db, Transaction& transaction, bool again) {
      Row current = read_existing(db, name, true);
      if (again && current.connection.version == expected_version + 1 &&
          current.connection.access_token == tokens.access_token) {
        updated = std::move(current.connection); // the first attempt's commit landed
        return;
      }
      if (current.connection.version != expected_version)
        throw version_conflict(name, current.connection.version, expected_version);
      write_tokens(db, current, tokens);
      Row written = read_existing(db, name, false);
      transaction.commit();
      updated = std::move(written.connection);
    });
    return std::move(*updated);
  });
}

void PostgresCredentialStore::store_after_lost_commit(const Row& row, const Tokens& tokens) {
  // The row lock went with the connection; whoever locked the row since found our tokens (if
  // the commit landed) or the stale ones (then it refreshes itself, and its compare-and-set
  // makes ours a conflict: its tokens win, ours were never used).
  writing([&](postgres::Connection& db, Transaction& transaction, bool) {
    Row current = read_existing(db, row.connection.name, true);
    if (current.connection.version == row.connection.version + 1 &&
        current.connection.access_token == tokens.access_token)
      return; // it had landed
    if (!write_tokens(db, row, tokens))
      throw changed_meanwhile(row.connection.name);
    transaction.commit();
  });
}

Connection PostgresCredentialStore::refresh_under_lock(
    std::string_view name, const RefreshPolicy& policy,
    const std::function<Tokens(const Connection&)>& refresh) {
  return refresh_under_lock_committing(
      name, policy,
      [&refresh](const Connection& stale, const CommitTokens&) { return refresh(stale); });
}

Connection PostgresCredentialStore::refresh_under_lock_committing(
    std::string_view name, const RefreshPolicy& policy,
    const std::function<Tokens(const Connection&, const CommitTokens& commit)>& refresh) {
  return guarded(name, [&] {
    // Fast path without the row lock: most calls find a valid token.
    {
      std::optional<Connection> current = find(name);
      if (!current)
        throw not_found(name);
      if (current->status == ConnectionStatus::healthy && !is_stale(*current, policy))
        return std::move(*current);
    }
    record_use(name);
    std::optional<postgres::Pool::Lease> lease(pool_.lease());
    postgres::Connection& db = **lease;
    std::optional<Transaction> transaction(std::in_place, db, timeout());
    require_current_key(db);
    // Under the row lock: whoever held it before us may have refreshed already.
    const Row current = read_existing(db, name, true);
    if (current.connection.status != ConnectionStatus::healthy)
      throw needs_authorising_again(name, current.connection.status_reason);
    if (!is_stale(current.connection, policy))
      return current.connection; // the transaction rolls back: nothing was written
    bool committed = false;
    bool lost = false;
    const CommitTokens commit = [&](const Tokens& tokens) {
      if (committed)
        throw std::logic_error("refresh_under_lock_committing: commit called twice");
      try {
        write_tokens(db, current, tokens);
        transaction->commit();
      } catch (const postgres::Error& e) {
        if (e.kind() != postgres::Error::Kind::connection)
          throw;
        // The answer to COMMIT (or the connection before it) was lost: the rotated refresh
        // token must not be, so store it over a new connection.
        lost = true;
        transaction.reset();
        lease.reset();
        store_after_lost_commit(current, tokens);
      }
      committed = true;
    };
    Tokens tokens;
    try {
      tokens = refresh(current.connection, commit);
    } catch (const RefreshTokenRejected& e) {
      if (committed)
        throw; // tokens stored, then a contradiction: nothing more to record
      const std::string reason = rejected_refresh_reason(e);
      db.exec(mark_sql, Params().add(reason).add(now_millis()).add(name), timeout());
      transaction->commit();
      throw needs_authorising_again(name, reason);
    }
    if (!committed)
      commit(tokens);
    if (lost) {
      std::optional<Connection> fresh = find(name);
      if (!fresh)
        throw not_found(name);
      return std::move(*fresh);
    }
    return read_existing(db, name, false).connection;
  });
}

void PostgresCredentialStore::mark_needs_reauthorisation(std::string_view name,
                                                         std::string_view reason) {
  guarded(name, [&] {
    pool_.with_retry([&](postgres::Connection& db) {
      const Result result =
          db.exec(mark_sql, Params().add(reason).add(now_millis()).add(name), timeout());
      if (result.affected() != 1)
        throw not_found(name);
    });
  });
}

void PostgresCredentialStore::record_use(std::string_view name) {
  // Not a token change: the version stays, so no compare-and-set is disturbed.
  guarded(name, [&] {
    pool_.with_retry([&](postgres::Connection& db) {
      const Result result =
          db.exec("UPDATE sluice_connections SET last_used_at = $1 WHERE name = $2",
                  Params().add(now_millis()).add(name), timeout());
      if (result.affected() != 1)
        throw not_found(name);
    });
  });
}

bool PostgresCredentialStore::remove(std::string_view name) {
  return guarded(name, [&] {
    bool removed = false;
    pool_.with_retry([&](postgres::Connection& db) {
      removed =
          db.exec("DELETE FROM sluice_connections WHERE name = $1", Params().add(name), timeout())
              .affected() == 1;
    });
    return removed;
  });
}

} // namespace sluice::credentials
