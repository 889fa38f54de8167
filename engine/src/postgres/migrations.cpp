// One transaction per migration: a process killed half-way leaves the old version, whole.

#include "migrations.hpp"

#include "pool.hpp"

#include <string>

namespace sluice::postgres {

namespace {
// Any fixed number: the lock every Sluice process takes to migrate a schema.
constexpr std::int64_t migration_lock = 0x736c7569636531; // "sluice1"
} // namespace

void migrate(Connection& connection, std::string_view component, std::span<const char* const> steps,
             std::string_view what, std::chrono::milliseconds timeout) {
  Transaction transaction(connection, timeout);
  connection.exec("SELECT pg_advisory_xact_lock($1)", Params().add(migration_lock), timeout);
  connection.exec_script("CREATE TABLE IF NOT EXISTS sluice_schema ("
                         "  component TEXT PRIMARY KEY,"
                         "  version INTEGER NOT NULL"
                         ")",
                         timeout);
  const Result row = connection.exec("SELECT version FROM sluice_schema WHERE component = $1",
                                     Params().add(component), timeout);
  const std::int64_t version = row.rows() == 1 ? row.integer(0, 0) : 0;
  const auto known = static_cast<std::int64_t>(steps.size());
  if (version > known)
    throw Error(Error::Kind::query, std::string(what) + " in this database has schema version " +
                                        std::to_string(version) +
                                        ", newer than this Sluice knows (" + std::to_string(known) +
                                        "): upgrade Sluice on this machine");
  for (auto step = static_cast<std::size_t>(version); step < steps.size(); ++step)
    connection.exec_script(steps[step], timeout);
  connection.exec("INSERT INTO sluice_schema (component, version) VALUES ($1, $2) "
                  "ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
                  Params().add(component).add(known), timeout);
  transaction.commit();
}

} // namespace sluice::postgres
