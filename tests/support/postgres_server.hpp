#pragma once
// A real PostgreSQL server for a test: initdb into a fresh temporary directory, `postgres`
// listening on 127.0.0.1 on a free port (trust authentication, user `sluice`), stopped by PID
// and removed at the end. initdb refuses to run as root, so when the tests run as root (CI)
// the server runs as the `postgres` user the Debian package creates.
//
// The binaries are looked for in SLUICE_TEST_POSTGRES_BIN, else the newest
// /usr/lib/postgresql/*/bin (Debian's postgresql-15).

#include "support/temp_dir.hpp"

#include <chrono>
#include <string>
#include <sys/types.h>

namespace test_support {

class PostgresServer {
public:
  /// Starts the server and waits until it answers (throws std::runtime_error with its log if
  /// it does not within 60 s).
  PostgresServer();
  /// Stops it (fast shutdown: open connections are closed) and removes its files.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  unsigned short port() const noexcept { return port_; }
  /// postgresql://sluice@127.0.0.1:PORT/DATABASE
  std::string url(const std::string& database = "postgres") const;
  /// Creates a database (a fresh one per test keeps tests apart) and returns its URL.
  std::string create_database(const std::string& name);

  /// An immediate shutdown, as in a crash (no checkpoint: the next start recovers from the
  /// WAL); start() brings it back on the same port and files.
  void crash();
  void start();
  /// The server's log so far.
  std::string log() const;

private:
  void wait_until_ready();

  TempDir dir_;
  std::string bin_;
  unsigned short port_ = 0;
  pid_t pid_ = -1;
  bool as_postgres_user_ = false;
};

} // namespace test_support
