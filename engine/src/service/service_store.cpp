// The store is chosen by its address: a postgres:// URL is a shared database, nothing is the
// file beside the credential store.

#include "service_store.hpp"

#include "postgres_run_store.hpp"
#include "sqlcipher_run_store.hpp"

#include <sluice/credentials_store.hpp>

#include <cstdlib>
#include <stdexcept>

namespace sluice::service {

namespace {

Secret store_address(const ServiceOptions& options) {
  if (!options.store.empty())
    return options.store;
  if (const char* address = std::getenv("SLUICE_STORE"); address && *address)
    return Secret(std::string(address));
  return {};
}

CredentialStoreOptions embedded_store_options(const ServiceOptions& options) {
  const std::filesystem::path credentials =
      options.credentials.empty() ? credential_store_options_from_environment().database
                                  : options.credentials;
  return run_store_options_from_environment(
      credentials, options.runs.empty() ? std::nullopt : std::optional(options.runs));
}

} // namespace

std::unique_ptr<RunStore> open_served_store(const ServiceOptions& options) {
  if (store_address(options).empty())
    return open_served_run_store(embedded_store_options(options), !options.sync_accepts);
  return open_service_store(options);
}

std::unique_ptr<RunStore> open_service_store(const ServiceOptions& options) {
  const Secret address = store_address(options);
  if (address.empty())
    return open_run_store(embedded_store_options(options));
  const std::string shown = postgres::redact_url(address.reveal());
  if (!postgres::is_postgres_url(address.reveal()))
    throw std::invalid_argument("the store '" + shown +
                                "' is not a PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE)");
  if (!options.runs.empty())
    throw std::invalid_argument("a run store file and a PostgreSQL store were both given; "
                                "choose one");
  PostgresStoreOptions store;
  store.pool.conninfo = address;
  store.lease = options.lease;
  try {
    return open_postgres_run_store(std::move(store));
  } catch (const postgres::Error& e) {
    throw std::runtime_error("the store " + shown + ": " + e.what());
  }
}

} // namespace sluice::service
