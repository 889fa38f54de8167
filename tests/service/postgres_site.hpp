#pragma once
// A site (serve_fixture.hpp) whose servers, workers and CLI keep runs in a fresh database of
// one real PostgreSQL server, started once for the test program.

#include "serve_fixture.hpp"
#include "support/postgres_server.hpp"

namespace serve_test {

inline test_support::PostgresServer& postgres() {
  static test_support::PostgresServer server;
  return server;
}

struct PostgresSite : Site {
  PostgresSite() {
    static int databases = 0;
    url = postgres().create_database("site_" + std::to_string(++databases));
    extra_environment.push_back("SLUICE_STORE=" + url);
  }
  std::string url;
};

} // namespace serve_test
