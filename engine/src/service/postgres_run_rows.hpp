#pragma once
// Reading runs from rows of sluice_runs: the columns every SELECT of a whole run names, in
// the order read_run() expects them.

#include "run_store.hpp"

#include "../postgres/connection.hpp"

#include <string>
#include <vector>

namespace sluice::service {

/// The columns of a whole run, for "SELECT <run_columns> FROM sluice_runs" or RETURNING.
extern const char* const run_columns;

StoredRun read_run(const postgres::Result& rows, int row);
std::vector<StoredRun> read_runs(const postgres::Result& rows);
std::string text_of(const postgres::Result& rows, int row, int column);

} // namespace sluice::service
