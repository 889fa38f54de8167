#pragma once
/// @file
/// Opening the encrypted connection store (SQLCipher) that backs `sluice::CredentialStore`.
///
/// ```
/// sluice::CredentialStoreOptions options = sluice::credential_store_options_from_environment();
/// std::shared_ptr<sluice::CredentialStore> store = sluice::open_credential_store(options);
/// ```
///
/// Opening derives nothing expensive (the key is a raw 256-bit key) but does file I/O and an
/// integrity check: call it off the I/O threads, once, and share the store.

#include <sluice/credentials.hpp>
#include <sluice/export.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

/// Where the store is and how it is keyed.
struct CredentialStoreOptions {
  /// The database file.
  std::filesystem::path database;
  /// The key as 64 hex digits (from SLUICE_CREDENTIALS_KEY); when empty, `key_file` is used.
  Secret key_hex;
  /// The key file, created with a random key (mode 0600) when the store is created.
  std::filesystem::path key_file;
  /// How long a writer waits for another process's transaction (refreshes included).
  std::chrono::milliseconds busy_timeout{30000};
  /// A PostgreSQL database (`postgresql://USER@HOST:PORT/DATABASE`) to keep the connections
  /// in instead of `database`, shared by every machine pointed at it. Secrets are encrypted
  /// before they leave this process (AES-256-GCM under the same key as above, which never
  /// reaches the database). A secret itself: the address may hold a password.
  Secret database_url;
};

/// What `copy_credential_store` did, by connection name.
struct CredentialStoreCopy {
  std::vector<std::string> copied;   ///< new in the target
  std::vector<std::string> replaced; ///< overwritten (with `replace`)
  std::vector<std::string> kept;     ///< already in the target, left as they were
};

/// The options from the environment: `database` is `database_override` (`--credentials`),
/// else `SLUICE_CREDENTIALS`, else `$XDG_DATA_HOME/sluice/credentials.db` (fallback
/// `~/.local/share`); the key is `SLUICE_CREDENTIALS_KEY`, else the key file
/// `SLUICE_CREDENTIALS_KEY_FILE`, else `credentials.key` beside the database;
/// `database_url` is `SLUICE_STORE` (the shared store of `sluice serve` and `sluice worker`).
SLUICE_API CredentialStoreOptions credential_store_options_from_environment(
    const std::optional<std::filesystem::path>& database_override = std::nullopt);

/// Opens the store, creating it (directory 0700, file 0600, key file 0600) if the database
/// does not exist. With `database_url`, opens the PostgreSQL store instead (creating its
/// tables, and a key file when neither the database nor this machine has a key yet). Verifies that
/// SQLCipher is bound and the key is right, checks integrity and migrates the schema. Throws
/// `CredentialError{unavailable}` with one message saying what is wrong and what to do (wrong key,
/// plain SQLite file, damaged file, key file permissions); never creates an empty store over an
/// existing file.
SLUICE_API std::shared_ptr<CredentialStore>
open_credential_store(const CredentialStoreOptions& options);

/// Re-encrypts the store with a new key. With a key file: a new random key, written to
/// `<key file>.next` first and moved over the key file once the database is re-encrypted
/// (an interrupted rekey is finished by the next open). With `key_hex` (environment):
/// `new_key_hex` must hold the new key, and the caller must update the environment.
/// Returns a sentence for the user saying where the new key is (never the key).
SLUICE_API std::string rekey_credential_store(const CredentialStoreOptions& options,
                                              const Secret& new_key_hex = {});

/// Copies every connection of the store `from` into `to` as it is (tokens, versions, times),
/// for `sluice connections migrate`; `to` must name a PostgreSQL database (`database_url`)
/// and is keyed by its own options. A name already in `to` is kept unless `replace`. `from`
/// is only read.
SLUICE_API CredentialStoreCopy copy_credential_store(const CredentialStoreOptions& from,
                                                     const CredentialStoreOptions& to,
                                                     bool replace = false);

/// The SQLite version string of the SQLCipher library the store uses (e.g. "3.15.2"), for
/// diagnostics; loads the library.
SLUICE_API std::string credential_store_sqlite_version();

} // namespace sluice
