// Schema versions:
//   1: the connections table.
//   2: `extra`, provider-specific non-secret details (e.g. Zoom's api_url for S2S apps).

#include "schema_migrations.hpp"

#include <sluice/credentials.hpp>

#include <array>
#include <string>

namespace sluice::credentials {

namespace {

// Index i takes the schema from version i to i + 1. Append only: released files exist.
constexpr std::array<const char*, current_schema_version> migrations{{
    // 0 -> 1. Times are Unix milliseconds; scopes are space-separated (as OAuth sends them).
    "CREATE TABLE connections ("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  provider TEXT NOT NULL,"
    "  account TEXT NOT NULL DEFAULT 'null'," // JSON
    "  scopes TEXT NOT NULL DEFAULT '',"
    "  grant_type TEXT NOT NULL DEFAULT '',"
    "  client_id TEXT NOT NULL DEFAULT '',"
    "  client_secret TEXT NOT NULL DEFAULT '',"
    "  client_secret_source TEXT NOT NULL DEFAULT '',"
    "  access_token TEXT NOT NULL DEFAULT '',"
    "  refresh_token TEXT NOT NULL DEFAULT '',"
    "  expires_at INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL DEFAULT 'healthy',"
    "  status_reason TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  last_used_at INTEGER,"
    "  version INTEGER NOT NULL DEFAULT 1"
    ");"
    "CREATE INDEX connections_by_provider ON connections(provider);",
    // 1 -> 2
    "ALTER TABLE connections ADD COLUMN extra TEXT NOT NULL DEFAULT 'null';", // JSON
}};

} // namespace

int schema_version(Database& database) {
  return std::stoi(database.query_text("PRAGMA user_version").value_or("0"));
}

void migrate(Database& database, int target) {
  apply_migrations(database, migrations, target, "credential store");
}

void apply_migrations(Database& database, std::span<const char* const> steps, int target,
                      std::string_view store) {
  // Cheap check first: most opens find the schema current and take no write lock.
  if (schema_version(database) == target)
    return;
  WriteTransaction transaction(database);
  // Re-read under the lock: another process may have migrated meanwhile.
  const int found = schema_version(database);
  const auto newest = static_cast<int>(steps.size());
  if (found > newest)
    throw CredentialError(CredentialError::Kind::unavailable,
                          "the " + std::string(store) + " has schema version " +
                              std::to_string(found) + ", newer than this Sluice understands (" +
                              std::to_string(newest) + "); use a newer Sluice");
  for (int version = found; version < target; ++version)
    database.exec(steps[static_cast<std::size_t>(version)]);
  // PRAGMA cannot take parameters; `target` is an integer we control.
  if (found < target)
    database.exec(("PRAGMA user_version = " + std::to_string(target)).c_str());
  transaction.commit();
}

} // namespace sluice::credentials
