#pragma once
// Opening an encrypted store file of any kind (credentials, runs), creating it and its key
// file on first use: where the key comes from, and recovering from an interrupted rekey.

#include "database.hpp"
#include "store_file.hpp"
#include "store_key.hpp"

#include <sluice/credentials_store.hpp>

#include <memory>
#include <optional>

namespace sluice::credentials {

/// Opens `options.database` (creating it, its directory 0700 and its key file 0600 when it
/// does not exist), keyed from `options` (`key_hex`, else `key_file`), checked and migrated.
/// Throws `CredentialError` with one message saying what is wrong and what to do. The key
/// that opened it goes to `key_used`, when given (for files kept beside the store under a key
/// derived from it).
std::unique_ptr<Database> open_or_create_store(const CredentialStoreOptions& options,
                                               const StoreFileKind& kind,
                                               std::optional<StoreKey>* key_used = nullptr);

} // namespace sluice::credentials
