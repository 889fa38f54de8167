#pragma once
// Versioned schemas in a shared database: each part of Sluice (runs, connections) keeps its
// version in one row of sluice_schema and brings it up to date under an advisory lock, so
// processes starting at once migrate once and never see half a schema.

#include "connection.hpp"

#include <chrono>
#include <span>
#include <string_view>

namespace sluice::postgres {

/// Applies `steps[version..]` to `component` in one transaction (step i takes the schema from
/// version i to i + 1; steps are append-only). Throws Error (Kind::query) when the database
/// holds a newer version than `steps` knows, naming `what` ("the run store").
void migrate(Connection& connection, std::string_view component, std::span<const char* const> steps,
             std::string_view what, std::chrono::milliseconds timeout);

} // namespace sluice::postgres
