#pragma once
// The store's schema, versioned with PRAGMA user_version. Each migration takes the schema
// from version N to N+1; they run in order inside one write transaction.

#include "database.hpp"

#include <span>
#include <string_view>

namespace sluice::credentials {

/// The schema version this build writes.
inline constexpr int current_schema_version = 2;

/// PRAGMA user_version of the open, keyed database.
int schema_version(Database& database);

/// Brings the schema up to `target` (tests pass older targets to build old files). Throws
/// `CredentialError{unavailable}` when the file is newer than this build understands.
void migrate(Database& database, int target = current_schema_version);

/// The same for any store: `steps[i]` takes the schema from version i to i + 1, all of them
/// inside one write transaction; `store` names it in messages ("run store").
void apply_migrations(Database& database, std::span<const char* const> steps, int target,
                      std::string_view store);

} // namespace sluice::credentials
