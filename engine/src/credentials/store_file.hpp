#pragma once
// Creating and opening the store's database file, and proving the key before trusting it.

#include "database.hpp"
#include "store_key.hpp"

#include <filesystem>
#include <memory>
#include <string_view>

namespace sluice::credentials {

/// What differs between the encrypted SQLite files Sluice keeps (the credential store, the
/// run store): how messages name the file and its key, what starting over loses, its schema.
struct StoreFileKind {
  std::string_view name;              ///< "credential store"
  std::string_view start_over;        ///< "move it away and add your connections again"
  std::string_view key_variable;      ///< "SLUICE_CREDENTIALS_KEY"
  std::string_view key_file_variable; ///< "SLUICE_CREDENTIALS_KEY_FILE"
  std::string_view location;          ///< how to point Sluice elsewhere: "--credentials or ..."
  /// Brings a keyed database's schema up to date (schema_migrations.hpp for credentials).
  void (*migrate)(Database&);
  /// Whether opening reads every page (`PRAGMA quick_check`) before trusting the file. Worth
  /// it for a small file (the credential store); a file that grows with history (the run
  /// store: 0.73 s for a 171 MB store, at every open) is checked page by page as it is read,
  /// and damage found then is reported the same way (Database::describe_damage).
  bool check_pages_on_open = true;
};

/// The credential store's kind.
extern const StoreFileKind credential_store_file;

/// Opens the existing store `file` with `key` and verifies, in order: the file is not empty,
/// not a plain SQLite database and not truncated; SQLCipher (not plain SQLite) is bound
/// (`PRAGMA cipher_version` answers); the key decrypts it (a read of sqlite_master); every
/// page is intact (`PRAGMA quick_check`, unless the kind says not to). Throws
/// `CredentialError{unavailable}` with one message saying what to do; `key_origin` names where the
/// key came from. Never writes.
std::unique_ptr<Database> open_store_file(const std::filesystem::path& file, const StoreKey& key,
                                          const std::string& key_origin, int busy_timeout_ms,
                                          const StoreFileKind& kind = credential_store_file);

/// True when the failure of `open_store_file` was "cannot decrypt" (wrong key or damage), as
/// opposed to a missing library or a plain SQLite file: only then is another key worth a try.
bool is_decrypt_failure(const CredentialError& error);

/// Creates a new, migrated store at `file` (mode 0600) atomically: built under a temporary
/// name and link()ed into place, so nobody ever sees a half-initialised store and a
/// zero-length `file` always means damage. Returns false when `file` appeared meanwhile
/// (another process created it; open that one).
bool create_store_file(const std::filesystem::path& file, const StoreKey& key,
                       const StoreFileKind& kind = credential_store_file);

} // namespace sluice::credentials
