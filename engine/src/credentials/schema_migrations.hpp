#pragma once
// The store's schema, versioned with PRAGMA user_version. Each migration takes the schema
// from version N to N+1; they run in order inside one write transaction.

#include "database.hpp"

namespace sluice::credentials {

/// The schema version this build writes.
inline constexpr int current_schema_version = 2;

/// PRAGMA user_version of the open, keyed database.
int schema_version(Database& database);

/// Brings the schema up to `target` (tests pass older targets to build old files). Throws
/// `CredentialError{unavailable}` when the file is newer than this build understands.
void migrate(Database& database, int target = current_schema_version);

} // namespace sluice::credentials
