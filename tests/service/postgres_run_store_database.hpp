#pragma once
// A run store on a real PostgreSQL server: one server for the whole test program (started on
// first use), a fresh database per test, opened as often as a test likes (each open is what a
// restarted server, or another machine, sees).

#include "service/postgres_run_store.hpp"

#include "support/postgres_server.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace sluice::service::test {

inline test_support::PostgresServer& postgres_server() {
  static test_support::PostgresServer server;
  return server;
}

struct PostgresDatabase {
  PostgresDatabase() {
    static std::atomic<int> databases{0};
    url = postgres_server().create_database("runs_" + std::to_string(++databases));
  }
  PostgresStoreOptions options() const {
    PostgresStoreOptions o;
    o.pool.conninfo = Secret(url);
    o.lease = lease;
    return o;
  }
  std::unique_ptr<RunStore> open() const { return open_postgres_run_store(options()); }

  std::string url;
  std::chrono::milliseconds lease{3000};
};

} // namespace sluice::service::test
