// Connections are opened on demand and kept; a lost one is closed, never handed out again.

#include "pool.hpp"

#include <thread>

namespace sluice::postgres {

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
  if (options_.size == 0)
    options_.size = 1;
}

Pool::~Pool() = default;

Pool::Lease::~Lease() {
  if (pool_ && connection_)
    pool_->give_back(std::move(connection_));
}

void Pool::give_back(std::unique_ptr<Connection> connection) noexcept {
  // A connection inside a transaction (an exception left it there) or lost is closed: the
  // server rolls the transaction back when it goes.
  const bool keep = connection->idle();
  std::unique_ptr<Connection> closing;
  {
    std::lock_guard lock(mutex_);
    if (keep)
      idle_.push_back(std::move(connection));
    else {
      closing = std::move(connection);
      --open_;
    }
  }
  returned_.notify_one();
}

Pool::Lease Pool::lease() {
  std::unique_lock lock(mutex_);
  const bool free = returned_.wait_for(lock, options_.statement_timeout,
                                       [&] { return !idle_.empty() || open_ < options_.size; });
  if (!free)
    throw Error(Error::Kind::timeout, "every connection to the database stayed busy for " +
                                          std::to_string(options_.statement_timeout.count()) +
                                          " ms");
  if (!idle_.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(connection));
  }
  ++open_;
  lock.unlock();
  try {
    auto connection =
        std::make_unique<Connection>(options_.conninfo.reveal(), options_.connect_timeout);
    lock.lock();
    reachable_ = true;
    return Lease(*this, std::move(connection));
  } catch (...) {
    if (!lock.owns_lock())
      lock.lock();
    --open_;
    reachable_ = false;
    lock.unlock();
    returned_.notify_one();
    throw;
  }
}

void Pool::with_retry(const std::function<void(Connection&)>& work) {
  const Clock::time_point give_up = Clock::now() + options_.retry_for;
  std::chrono::milliseconds pause(100);
  for (;;) {
    try {
      Lease connection = lease();
      work(*connection);
      note_reachable(true);
      return;
    } catch (const Error& error) {
      if (error.kind() == Error::Kind::connection)
        note_reachable(false);
      if (error.kind() != Error::Kind::connection || Clock::now() + pause > give_up)
        throw;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
  }
}

void Pool::note_reachable(bool reachable) noexcept {
  std::lock_guard lock(mutex_);
  reachable_ = reachable;
}

bool Pool::reachable() const noexcept {
  std::lock_guard lock(mutex_);
  return reachable_;
}

Transaction::Transaction(Connection& connection, std::chrono::milliseconds timeout,
                         std::string_view begin)
    : connection_(connection), timeout_(timeout) {
  connection_.exec(begin, timeout_);
}

Transaction::~Transaction() {
  if (done_ || connection_.broken())
    return;
  try {
    connection_.exec("ROLLBACK", timeout_);
  } catch (...) {
    // The connection is then broken, and the pool closes it: the server rolls back.
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT", timeout_);
  done_ = true;
}

} // namespace sluice::postgres
