#pragma once
// Owns the run store's busiest writes, on a thread of its own, in groups: runs accepted at the
// same moment (many webhook deliveries, many API calls) are written in one transaction with
// one sync instead of one sync each under a lock, and runs' endings in one unsynced
// transaction. A run is still on disk before its acceptance is answered; only the waiting is
// shared. A store that logs accepts (RunStore::logs_accepts) accepts on the caller's thread,
// and this thread writes what it logged into its tables with the endings.

#include "run_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace sluice::service {

class RunWriter {
public:
  /// At most `max_batch` runs go in one transaction.
  explicit RunWriter(RunStore& store, std::size_t max_batch = 512);
  /// Writes what is waiting, then stops the thread.
  ~RunWriter();
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  /// RunStore::accept() of `run`, written with whatever else waits. Awaited on a strand (an
  /// HTTP connection's coroutine is): the result is posted to it. Rethrows the store's error.
  boost::asio::awaitable<std::optional<std::string>> accept(NewRun run);
  /// The same, blocking the calling thread.
  std::optional<std::string> accept_now(NewRun run);
  /// RunStore::finish() of run `id`, soon; then `written` is called on the writer's thread
  /// (whether the store took it or failed: the run then stays running, and a restart marks it
  /// interrupted, which is what it is to anyone reading).
  void finish_later(std::string id, RunEnding ending, std::function<void()> written);

private:
  struct Request;
  void enqueue(std::shared_ptr<Request> request);
  /// The store has logged runs to write into its tables: done soon, on the writer's thread.
  void write_logged_soon();
  void write_batches();

  RunStore& store_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Request>> waiting_;
  bool logged_waiting_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace sluice::service
