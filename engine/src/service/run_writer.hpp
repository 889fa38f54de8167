#pragma once
// Owns the run store's busiest writes, on a thread of its own, in groups: runs accepted at the
// same moment (many webhook deliveries, many API calls) are written in one transaction with
// one sync instead of one sync each under a lock, and runs' endings in one unsynced
// transaction. A run is still on disk before its acceptance is answered; only the waiting is
// shared. A store that logs runs (RunStore::logs_runs) accepts and finishes them on the
// caller's thread instead, and this thread has it write what it logged into its tables, at
// most `write_delay` after the first record logged since the last write.

#include "run_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
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
  explicit RunWriter(RunStore& store, std::size_t max_batch = 512,
                     std::chrono::milliseconds write_delay = std::chrono::milliseconds(10));
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
  /// The store has logged something: written into its tables within write_delay_, on the
  /// writer's thread. Costs a lock and a wake-up only for the first record since the last
  /// write.
  void note_logged();
  /// Whether `run` is accepted into the store's log, on the caller's thread.
  bool logs(const NewRun& run) const noexcept;
  std::optional<std::string> accept_into_log(const NewRun& run);
  void write_batches();

  RunStore& store_;
  const std::size_t max_batch_;
  const std::chrono::milliseconds write_delay_;
  /// Something was logged since the writer last took note. Set without the lock, then
  /// notified with it (note_logged); read and cleared by the writer with it.
  std::atomic<bool> logged_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Request>> waiting_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace sluice::service
