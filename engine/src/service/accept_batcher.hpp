#pragma once
// Owns group commit of accepted runs: runs accepted at the same moment (many webhook
// deliveries, many API calls) are written in one transaction with one sync, on a thread of
// its own, instead of one sync each under a lock. A run is still on disk before its
// acceptance is answered; only the waiting is shared.

#include "run_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace sluice::service {

class AcceptBatcher {
public:
  /// At most `max_batch` runs go in one transaction.
  explicit AcceptBatcher(RunStore& store, std::size_t max_batch = 512);
  /// Writes what is waiting, then stops the thread.
  ~AcceptBatcher();
  AcceptBatcher(const AcceptBatcher&) = delete;
  AcceptBatcher& operator=(const AcceptBatcher&) = delete;

  /// RunStore::accept() of `run`, written with whatever else waits. Awaited on a strand (an
  /// HTTP connection's coroutine is): the result is posted to it. Rethrows the store's error.
  boost::asio::awaitable<std::optional<std::string>> accept(NewRun run);
  /// The same, blocking the calling thread.
  std::optional<std::string> accept_now(NewRun run);

private:
  struct Request;
  void enqueue(std::shared_ptr<Request> request);
  void write_batches();

  RunStore& store_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Request>> waiting_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace sluice::service
