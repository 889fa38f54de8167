// The public entry points of credentials_store.hpp: where the store is, how it is keyed,
// opening (creating on first use) and rekeying.

#include <sluice/credentials_store.hpp>

#include "../postgres/connection.hpp"
#include "postgres_store.hpp"
#include "schema_migrations.hpp"
#include "sqlcipher_store.hpp"
#include "store_file.hpp"
#include "store_key.hpp"
#include "store_open.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace sluice {

using credentials::StoreKey;
using Kind = CredentialError::Kind;

namespace {

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value)
    return std::nullopt;
  return std::string(value);
}

std::filesystem::path default_database() {
  if (auto data_home = environment("XDG_DATA_HOME"))
    return std::filesystem::path(*data_home) / "sluice" / "credentials.db";
  if (auto home = environment("HOME"))
    return std::filesystem::path(*home) / ".local" / "share" / "sluice" / "credentials.db";
  throw CredentialError(Kind::unavailable,
                        "cannot place the credential store: neither XDG_DATA_HOME nor HOME is "
                        "set; pass --credentials PATH or set SLUICE_CREDENTIALS");
}

// Creates the store's directory with mode 0700 (only the parts that are missing).
void create_private_directory(const std::filesystem::path& dir) {
  if (dir.empty() || std::filesystem::exists(dir))
    return;
  create_private_directory(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw CredentialError(Kind::unavailable,
                          "cannot create directory " + dir.string() + ": " + std::strerror(errno));
}

std::filesystem::path pending_key_file(const std::filesystem::path& key_file) {
  std::filesystem::path next = key_file;
  next += ".next";
  return next;
}

struct KeySource {
  StoreKey key;
  std::string origin; // for messages: "SLUICE_CREDENTIALS_KEY" or the key file's path
};

KeySource key_for_existing_store(const CredentialStoreOptions& options,
                                 const credentials::StoreFileKind& kind) {
  const std::string variable(kind.key_variable);
  if (!options.key_hex.empty())
    return {StoreKey::from_hex(options.key_hex.reveal(), variable), variable};
  if (!std::filesystem::exists(options.key_file) &&
      !std::filesystem::exists(pending_key_file(options.key_file)))
    throw CredentialError(Kind::unavailable,
                          "the " + std::string(kind.name) + " " + options.database.string() +
                              " exists but its key file " + options.key_file.string() +
                              " does not; restore the key file, or set " + variable + " or " +
                              std::string(kind.key_file_variable) + " to the store's key");
  if (!std::filesystem::exists(options.key_file)) // only a pending rekey's key is left
    return {credentials::read_key_file(pending_key_file(options.key_file)),
            pending_key_file(options.key_file).string()};
  return {credentials::read_key_file(options.key_file), options.key_file.string()};
}

// The key for a store about to be created: the configured one, or a new key file.
StoreKey key_for_new_store(const CredentialStoreOptions& options,
                           const credentials::StoreFileKind& kind) {
  if (!options.key_hex.empty())
    return StoreKey::from_hex(options.key_hex.reveal(), kind.key_variable);
  if (std::filesystem::exists(options.key_file))
    return credentials::read_key_file(options.key_file);
  create_private_directory(options.key_file.parent_path());
  if (!credentials::create_key_file(options.key_file, StoreKey::random())) {
    // Another process created it first: use theirs.
  }
  return credentials::read_key_file(options.key_file);
}

std::unique_ptr<credentials::Database>
open_existing(const CredentialStoreOptions& options,
              const credentials::StoreFileKind& kind = credentials::credential_store_file,
              std::optional<StoreKey>* key_used = nullptr) {
  const int busy_ms = static_cast<int>(options.busy_timeout.count());
  KeySource source = key_for_existing_store(options, kind);
  try {
    auto database =
        credentials::open_store_file(options.database, source.key, source.origin, busy_ms, kind);
    if (key_used)
      key_used->emplace(source.key);
    return database;
  } catch (const CredentialError& e) {
    // A rekey that was interrupted after re-encrypting but before moving the new key into
    // place leaves the right key in `<key file>.next`: try it, and finish the move.
    const std::filesystem::path next = pending_key_file(options.key_file);
    if (!options.key_hex.empty() || !credentials::is_decrypt_failure(e) ||
        !std::filesystem::exists(next))
      throw;
    const StoreKey next_key = credentials::read_key_file(next);
    auto database =
        credentials::open_store_file(options.database, next_key, next.string(), busy_ms, kind);
    std::filesystem::rename(next, options.key_file);
    if (key_used)
      key_used->emplace(next_key);
    return database;
  }
}

} // namespace

CredentialStoreOptions
credential_store_options_from_environment(const std::optional<std::filesystem::path>& override) {
  CredentialStoreOptions options;
  if (override && !override->empty())
    options.database = *override;
  else if (auto path = environment("SLUICE_CREDENTIALS"))
    options.database = *path;
  else
    options.database = default_database();
  if (auto key = environment("SLUICE_CREDENTIALS_KEY"))
    options.key_hex = Secret(std::move(*key));
  if (auto key_file = environment("SLUICE_CREDENTIALS_KEY_FILE"))
    options.key_file = *key_file;
  else
    options.key_file = options.database.parent_path() / "credentials.key";
  if (auto url = environment("SLUICE_STORE"))
    options.database_url = Secret(std::move(*url));
  return options;
}

namespace credentials {

std::unique_ptr<Database> open_or_create_store(const CredentialStoreOptions& options,
                                               const StoreFileKind& kind,
                                               std::optional<StoreKey>* key_used) {
  try {
    if (!std::filesystem::exists(options.database)) {
      create_private_directory(options.database.parent_path());
      create_store_file(options.database, key_for_new_store(options, kind), kind);
    }
    auto database = open_existing(options, kind, key_used);
    kind.migrate(*database);
    return database;
  } catch (const DatabaseError& e) {
    throw CredentialError(e.busy() ? Kind::busy : Kind::unavailable,
                          "cannot open the " + std::string(kind.name) + " " +
                              options.database.string() + ": " + e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    throw CredentialError(Kind::unavailable, std::string(kind.name) + ": " + e.what());
  }
}

} // namespace credentials

namespace {

// A rekey's new key when the key comes from SLUICE_CREDENTIALS_KEY (the caller then updates the
// environment): SLUICE_CREDENTIALS_NEW_KEY must hold it.
StoreKey new_key_from_environment(const Secret& new_key_hex) {
  if (new_key_hex.empty())
    throw CredentialError(Kind::unavailable,
                          "the key comes from SLUICE_CREDENTIALS_KEY: set "
                          "SLUICE_CREDENTIALS_NEW_KEY to the new key (64 hex digits) too");
  return StoreKey::from_hex(new_key_hex.reveal(), "SLUICE_CREDENTIALS_NEW_KEY");
}

// The key of a PostgreSQL store: the configured one; else, for a database that has no key
// yet, a new key file (as a new SQLCipher store gets one). A database keyed elsewhere needs
// that key brought here: a new one would not open its connections.
KeySource key_for_postgres_store(const CredentialStoreOptions& options,
                                 const credentials::PostgresCredentialStore& store,
                                 const std::string& shown) {
  if (!options.key_hex.empty())
    return {StoreKey::from_hex(options.key_hex.reveal(), "SLUICE_CREDENTIALS_KEY"),
            "SLUICE_CREDENTIALS_KEY"};
  if (!std::filesystem::exists(options.key_file)) {
    if (store.has_key())
      throw CredentialError(Kind::unavailable,
                            "the connections in " + shown +
                                " are encrypted with a key this machine does not have: copy "
                                "the key file of a machine that uses this store to " +
                                options.key_file.string() +
                                " (mode 0600), or set SLUICE_CREDENTIALS_KEY to the key");
    create_private_directory(options.key_file.parent_path());
    credentials::create_key_file(options.key_file, StoreKey::random()); // or another's, if first
  }
  return {credentials::read_key_file(options.key_file), "key file " + options.key_file.string()};
}

std::shared_ptr<credentials::PostgresCredentialStore>
open_postgres_credential_store(const CredentialStoreOptions& options) {
  const std::string shown = postgres::redact_url(options.database_url.reveal());
  if (!postgres::is_postgres_url(options.database_url.reveal()))
    throw CredentialError(Kind::unavailable,
                          "the store '" + shown +
                              "' is not a PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE)");
  credentials::PostgresCredentialOptions store_options;
  store_options.pool.conninfo = options.database_url;
  store_options.lock_timeout = options.busy_timeout;
  auto store = std::make_shared<credentials::PostgresCredentialStore>(std::move(store_options));
  const KeySource source = key_for_postgres_store(options, *store, shown);
  try {
    store->use_key(source.key, source.origin);
  } catch (const CredentialError&) {
    // A rekey that committed but was stopped before moving the new key over the key file
    // left the right key in `<key file>.next`: use it, and finish the move.
    const std::filesystem::path next = pending_key_file(options.key_file);
    if (!options.key_hex.empty() || !std::filesystem::exists(next))
      throw;
    store->use_key(credentials::read_key_file(next), "key file " + next.string());
    std::filesystem::rename(next, options.key_file);
  }
  return store;
}

// Re-encrypts a PostgreSQL store: as rekey_credential_store says, with the new key file
// written (as `.next`) before the database depends on it.
std::string rekey_postgres_store(const CredentialStoreOptions& options, const Secret& new_key_hex) {
  const auto store = open_postgres_credential_store(options);
  const std::string shown = postgres::redact_url(options.database_url.reveal());
  if (!options.key_hex.empty()) {
    store->rekey(new_key_from_environment(new_key_hex));
    return "re-encrypted the connections in " + shown +
           " with the key in SLUICE_CREDENTIALS_NEW_KEY; set SLUICE_CREDENTIALS_KEY to it on "
           "every machine that uses this store (the old key no longer opens it)";
  }
  const StoreKey next = StoreKey::random();
  credentials::replace_key_file(pending_key_file(options.key_file), next);
  store->rekey(next);
  std::filesystem::rename(pending_key_file(options.key_file), options.key_file);
  return "re-encrypted the connections in " + shown + " with a new key in " +
         options.key_file.string() +
         "; copy it (mode 0600) to every machine that uses this store: the old key no longer "
         "opens it, and their processes must restart with the new one";
}

} // namespace

std::shared_ptr<CredentialStore> open_credential_store(const CredentialStoreOptions& options) {
  if (!options.database_url.empty())
    return open_postgres_credential_store(options);
  return std::make_shared<credentials::SqlCipherCredentialStore>(
      credentials::open_or_create_store(options, credentials::credential_store_file));
}

CredentialStoreCopy copy_credential_store(const CredentialStoreOptions& from,
                                          const CredentialStoreOptions& to, bool replace) {
  if (to.database_url.empty())
    throw CredentialError(Kind::unavailable,
                          "connections can be copied into a PostgreSQL store only: give its "
                          "address (postgresql://USER@HOST:PORT/DATABASE)");
  const auto source = open_credential_store(from);
  const auto target = open_postgres_credential_store(to);
  CredentialStoreCopy copy;
  using Imported = credentials::PostgresCredentialStore::Imported;
  for (const Connection& connection : source->list()) {
    switch (target->import(connection, replace)) {
    case Imported::copied:
      copy.copied.push_back(connection.name);
      break;
    case Imported::replaced:
      copy.replaced.push_back(connection.name);
      break;
    case Imported::kept:
      copy.kept.push_back(connection.name);
      break;
    }
  }
  return copy;
}

namespace {

// SQLCipher 4 cannot rekey a database in WAL mode: the store leaves WAL for the rekey (it
// needs the store to itself anyway) and returns to it afterwards.
void rekey_outside_wal(credentials::Database& database, const StoreKey& next) {
  database.exec("PRAGMA journal_mode = DELETE;");
  database.exec(next.pragma("rekey").reveal().c_str());
  database.exec("PRAGMA journal_mode = WAL;");
}

} // namespace

std::string rekey_credential_store(const CredentialStoreOptions& options,
                                   const Secret& new_key_hex) {
  if (!options.database_url.empty())
    return rekey_postgres_store(options, new_key_hex);
  try {
    auto database = open_existing(options);
    if (!options.key_hex.empty()) {
      const StoreKey next = new_key_from_environment(new_key_hex);
      rekey_outside_wal(*database, next);
      return "re-encrypted " + options.database.string() +
             " with the key in SLUICE_CREDENTIALS_NEW_KEY; set SLUICE_CREDENTIALS_KEY to it";
    }
    const StoreKey next = StoreKey::random();
    // The new key is durable before the database depends on it.
    credentials::replace_key_file(pending_key_file(options.key_file), next);
    rekey_outside_wal(*database, next);
    database.reset();
    std::filesystem::rename(pending_key_file(options.key_file), options.key_file);
    return "re-encrypted " + options.database.string() + " with a new key in " +
           options.key_file.string();
  } catch (const credentials::DatabaseError& e) {
    throw CredentialError(e.busy() ? Kind::busy : Kind::unavailable,
                          "cannot re-encrypt the credential store " + options.database.string() +
                              ": " + e.what() + " (the old key still works)");
  }
}

std::string credential_store_sqlite_version() {
  return credentials::sqlcipher().libversion();
}

} // namespace sluice
