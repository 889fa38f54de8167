#pragma once
// The engine's worker threads, each running an event loop (io_context) of its own.
//
// One loop per thread, not one loop shared by all: in a shared loop any thread may pick up
// any completion, so a coroutine waiting on a socket moved between threads at every read and
// write (a futex wake-up and a reactor interrupt per HTTP call; two threads made a for_each of
// HTTP calls 1.7x slower than one:
// 21,700 calls/s against 37,700). Here a coroutine, its timers and its sockets stay on the
// worker it started on; work moves between workers only where the executor decides to move
// it (new async nodes in turn, stacks split off a drain).

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace sluice::detail {

class Workers {
public:
  /// Starts `count` threads (at least one).
  explicit Workers(unsigned count);
  /// Joins (see join()).
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  unsigned size() const noexcept { return static_cast<unsigned>(loops_.size()); }
  /// Worker `i`'s loop.
  boost::asio::any_io_executor executor(unsigned i) const;
  /// A worker for new work: the next in turn that is not running a stack of nodes (Busy),
  /// or simply the next when all are.
  boost::asio::any_io_executor next();
  /// A worker other than the calling one, in turn (for work split off the caller's stack);
  /// any in turn when the caller is not one of these workers, or when there is only one.
  boost::asio::any_io_executor other();
  /// The calling thread's loop when it is one of these workers, else next().
  boost::asio::any_io_executor here();

  /// Marks the calling worker as running nodes one after another (a drain of the ready
  /// stack) for its lifetime, so that next() gives new work to another; does nothing on a
  /// thread that is not one of these workers. A node that waits started on a worker that
  /// is busy with a long synchronous node would wait for it too.
  class Busy {
  public:
    explicit Busy(Workers& workers) noexcept;
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

  private:
    std::atomic<unsigned>* count_ = nullptr;
  };

  /// Marks, for its lifetime, that a node waits for something (an answer, a timer) on the
  /// worker whose loop is `loop`: that worker then looks for work a little before it sleeps,
  /// since the answer usually comes within microseconds. A worker with no node waiting on it
  /// sleeps as soon as it runs out of work. Does nothing for a loop that is not one of these.
  class Waiting {
  public:
    Waiting(Workers& workers, const boost::asio::any_io_executor& loop) noexcept;
    ~Waiting();
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;

  private:
    std::atomic<unsigned>* count_ = nullptr;
  };

  /// How many Waiting marks are alive on worker `i`.
  unsigned waiting_on(unsigned i) const noexcept;

  /// Lets the loops end once they run out of work, and waits for them (work still queued or
  /// in flight finishes first). Idempotent.
  void join();
  /// Makes the loops return as soon as possible, abandoning queued work.
  void stop();

private:
  struct Loop;
  int index_of_caller() const noexcept;

  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::atomic<unsigned> turn_{0};
  std::atomic<bool> stopped_{false}; // stop() was called: what is queued is abandoned
};

} // namespace sluice::detail
