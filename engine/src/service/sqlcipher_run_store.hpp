#pragma once
// The embedded run store: one SQLCipher file beside the credential store (run inputs and
// outputs may hold personal data, so they are encrypted like the credentials), in WAL mode
// with every commit synced, under its own key (SLUICE_RUNS_KEY, or runs.key beside it), so
// that rekeying one store never locks anyone out of the other.

#include "run_store.hpp"

#include <sluice/credentials_store.hpp>

#include <filesystem>
#include <memory>
#include <optional>

namespace sluice::service {

/// Where the run store is and how it is keyed: `database_override` (`--runs`), else
/// SLUICE_RUNS, else `runs.db` beside `credentials_database`; the key is SLUICE_RUNS_KEY,
/// else the key file SLUICE_RUNS_KEY_FILE, else `runs.key` beside the database.
CredentialStoreOptions
run_store_options_from_environment(const std::filesystem::path& credentials_database,
                                   const std::optional<std::filesystem::path>& database_override);

/// Opens the run store, creating it (and its key file) on first use. Throws CredentialError
/// with a message that says what is wrong and what to do. Runs that a server stopped by a
/// crash left in the store's accept log are written into the store first, unless a server
/// holds the log (it writes them itself).
std::unique_ptr<RunStore> open_run_store(const CredentialStoreOptions& options);

/// The same for `sluice serve`: the store with its accept log held for the process's
/// lifetime (logged_run_store.hpp; one server per store: CredentialError when another holds
/// it), accepting and finishing runs into the log when `log_runs`.
std::unique_ptr<RunStore> open_served_run_store(const CredentialStoreOptions& options,
                                                bool log_runs);

} // namespace sluice::service
