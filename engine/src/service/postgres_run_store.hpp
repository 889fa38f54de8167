#pragma once
// The run store on PostgreSQL, for many Sluice processes sharing one queue and one history.
// The same semantics as the embedded store (the run store test suite runs on both), plus
// what sharing needs: a run that is running belongs to the process that started it, by a
// lease that process renews; recover() interrupts only runs whose lease ran out, so one
// process restarting never takes the runs of another that is alive.

#include "run_store.hpp"

#include "../postgres/pool.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace sluice::service {

struct PostgresStoreOptions {
  postgres::PoolOptions pool;
  /// How long a running run stays this process's without a renewal; renewed every third of
  /// it. A process that dies loses its runs this long after its last renewal.
  std::chrono::milliseconds lease{30000};
};

/// Connects, brings the schema up to date (under an advisory lock: processes starting at
/// once migrate one after the other) and starts renewing leases. Throws
/// postgres::Error with what went wrong (the URL's password never in it).
std::unique_ptr<RunStore> open_postgres_run_store(PostgresStoreOptions options);

} // namespace sluice::service
