#pragma once
// Which run store a service (or `sluice runs`, `sluice tokens`) uses: the PostgreSQL database
// ServiceOptions::store or SLUICE_STORE names, else the embedded SQLCipher file.

#include "run_store.hpp"

#include <sluice/service.hpp>

#include <memory>

namespace sluice::service {

/// Opens it. Throws CredentialError for the file, std::invalid_argument for a store that is
/// not a postgres:// URL, std::runtime_error for a database it cannot reach or use (with its
/// address, never its password).
std::unique_ptr<RunStore> open_service_store(const ServiceOptions& options);
/// The same for the server itself: the embedded store with its accept log
/// (open_served_run_store; ServiceOptions::sync_accepts).
std::unique_ptr<RunStore> open_served_store(const ServiceOptions& options);

} // namespace sluice::service
