#pragma once
// The engine's pool for blocking calls (credential-store transactions, waiting for another
// process's refresh), offered to nodes and providers so that plugins start no threads of
// their own and never block the run's workers. Its threads start on first use: most
// pipelines never need them.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <mutex>

namespace sluice::detail {

class BlockingPool {
public:
  explicit BlockingPool(unsigned threads) : threads_(threads) {}
  ~BlockingPool() {
    if (pool_)
      pool_->join();
  }

  boost::asio::any_io_executor executor() {
    std::lock_guard lock(mutex_);
    if (!pool_)
      pool_ = std::make_unique<boost::asio::thread_pool>(threads_);
    return pool_->get_executor();
  }

private:
  unsigned threads_;
  std::mutex mutex_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
};

} // namespace sluice::detail
