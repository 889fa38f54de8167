#pragma once
// Creating and opening the store's database file, and proving the key before trusting it.

#include "database.hpp"
#include "store_key.hpp"

#include <filesystem>
#include <memory>

namespace sluice::credentials {

/// Opens the existing store `file` with `key` and verifies, in order: the file is not empty,
/// not a plain SQLite database and not truncated; SQLCipher (not plain SQLite) is bound
/// (`PRAGMA cipher_version` answers); the key decrypts it (a read of sqlite_master); every
/// page is intact (`PRAGMA quick_check`). Throws `CredentialError{unavailable}` with one
/// message saying what to do; `key_origin` names where the key came from. Never writes.
std::unique_ptr<Database> open_store_file(const std::filesystem::path& file, const StoreKey& key,
                                          const std::string& key_origin, int busy_timeout_ms);

/// True when the failure of `open_store_file` was "cannot decrypt" (wrong key or damage), as
/// opposed to a missing library or a plain SQLite file: only then is another key worth a try.
bool is_decrypt_failure(const CredentialError& error);

/// Creates a new, migrated store at `file` (mode 0600) atomically: built under a temporary
/// name and link()ed into place, so nobody ever sees a half-initialised store and a
/// zero-length `file` always means damage. Returns false when `file` appeared meanwhile
/// (another process created it; open that one).
bool create_store_file(const std::filesystem::path& file, const StoreKey& key);

} // namespace sluice::credentials
