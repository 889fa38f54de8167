#pragma once
// A few connections to one PostgreSQL database, shared by threads: lease() hands one out (or
// opens one, up to the pool's size, or waits for one to come back), and a connection that
// was lost is dropped instead of coming back, so the next lease opens a fresh one. Calls that
// fail because the connection was lost are tried again with backoff by with_retry().

#include "connection.hpp"

#include <sluice/credentials.hpp>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace sluice::postgres {

struct PoolOptions {
  /// A postgres:// URL or libpq key=value pairs; a secret (it may hold a password).
  Secret conninfo;
  std::size_t size = 4;
  std::chrono::milliseconds connect_timeout{10000};
  /// How long one statement may take.
  std::chrono::milliseconds statement_timeout{30000};
  /// How long a call keeps trying when the database cannot be reached, with backoff.
  std::chrono::milliseconds retry_for{15000};
};

class Pool {
public:
  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// A connection while it lives; back to the pool at the end unless it was lost or left
  /// inside a transaction.
  class Lease {
  public:
    Lease(Pool& pool, std::unique_ptr<Connection> connection) noexcept
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Connection& operator*() const noexcept { return *connection_; }
    Connection* operator->() const noexcept { return connection_.get(); }

  private:
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  /// Throws Error (Kind::connection) when no connection can be opened, or Kind::timeout when
  /// every connection stays leased for longer than the statement timeout.
  Lease lease();

  /// Runs `work` on a leased connection; when the connection is lost (or cannot be made),
  /// tries again on a new one with backoff (0.1 s doubling to 2 s) for up to `retry_for`.
  /// `work` must be safe to run again after a lost connection: a transaction that was lost
  /// was rolled back, unless its COMMIT was sent (callers make their writes idempotent).
  void with_retry(const std::function<void(Connection&)>& work);

  /// Whether the last attempt to reach the database worked (for /readyz).
  bool reachable() const noexcept;
  /// Records how an attempt made outside with_retry() went.
  void note_reachable(bool reachable) noexcept;

  const PoolOptions& options() const noexcept { return options_; }

private:
  void give_back(std::unique_ptr<Connection> connection) noexcept;

  PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0; ///< idle and leased
  bool reachable_ = true;
};

/// BEGIN on construction, ROLLBACK at the end unless commit() ran (errors ignored: a lost
/// connection has rolled back already).
class Transaction {
public:
  Transaction(Connection& connection, std::chrono::milliseconds timeout,
              std::string_view begin = "BEGIN");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

private:
  Connection& connection_;
  std::chrono::milliseconds timeout_;
  bool done_ = false;
};

} // namespace sluice::postgres
