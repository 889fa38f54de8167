// Workers: a thread per io_context, told apart by a thread-local mark; each looks for work a
// little before it sleeps.

#include "workers.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <optional>

namespace sluice::detail {
namespace asio = boost::asio;

namespace {
// Which Workers the calling thread belongs to, and its index there (several engines may
// live in one process).
thread_local const void* current_owner = nullptr;
thread_local unsigned current_index = 0;
} // namespace

namespace {

// How long a worker with a node waiting on it (Waiting) keeps looking for work after its last
// handler before it sleeps. Waking a sleeping thread costs tens of microseconds on the 2-vCPU
// virtual machines we build on (the vCPU halts and the host must schedule it again): a
// pipeline making one HTTP call after another on loopback made 9,000 calls a second when the
// worker slept after each request and 14,500 when it looked for the answer for up to 50 us
// first (20 us: 10,800; 100 us: no better), for 20 % more CPU time. A worker with no node
// waiting has no answer to look for: under sluice serve, looking after every short run was a
// sixth of the server's CPU per accepted run (clock reads and the loop's lock).
constexpr std::chrono::microseconds look_before_sleeping{50};

void run_loop(asio::io_context& context, const std::atomic<unsigned>& waiting) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_work = Clock::now();
  for (;;) {
    if (context.poll() > 0) {
      last_work = Clock::now();
      continue;
    }
    if (context.stopped()) // stop(), or out of work once join() let go
      return;
    if (waiting.load(std::memory_order_relaxed) > 0 &&
        Clock::now() - last_work < look_before_sleeping)
      continue;
    if (context.run_one() == 0)
      return;
    last_work = Clock::now();
  }
}

} // namespace

struct Workers::Loop {
  // Before the context: handlers the context destroys unrun may hold a Waiting mark.
  std::atomic<unsigned> waiting{0}; // Waiting marks alive on this worker
  // One thread runs it: Asio then queues work posted from that thread without a lock
  // (posting from other threads stays safe).
  asio::io_context context{1};
  std::atomic<unsigned> busy{0}; // Busy marks alive on this worker
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running{
      context.get_executor()};
};

Workers::Workers(unsigned count) {
  if (count == 0)
    count = 1;
  loops_.reserve(count);
  for (unsigned i = 0; i < count; ++i)
    loops_.push_back(std::make_unique<Loop>());
  threads_.reserve(count);
  for (unsigned i = 0; i < count; ++i)
    threads_.emplace_back([this, i] {
      current_owner = this;
      current_index = i;
      run_loop(loops_[i]->context, loops_[i]->waiting);
    });
}

Workers::~Workers() {
  join();
}

int Workers::index_of_caller() const noexcept {
  return current_owner == this ? static_cast<int>(current_index) : -1;
}

asio::any_io_executor Workers::executor(unsigned i) const {
  return loops_[i]->context.get_executor();
}

asio::any_io_executor Workers::next() {
  const unsigned first = turn_.fetch_add(1, std::memory_order_relaxed) % size();
  for (unsigned k = 0; k < size(); ++k) {
    const unsigned i = (first + k) % size();
    if (loops_[i]->busy.load(std::memory_order_relaxed) == 0)
      return executor(i);
  }
  return executor(first);
}

Workers::Busy::Busy(Workers& workers) noexcept {
  const int self = workers.index_of_caller();
  if (self >= 0) {
    count_ = &workers.loops_[static_cast<unsigned>(self)]->busy;
    count_->fetch_add(1, std::memory_order_relaxed);
  }
}

Workers::Busy::~Busy() {
  if (count_)
    count_->fetch_sub(1, std::memory_order_relaxed);
}

Workers::Waiting::Waiting(Workers& workers, const asio::any_io_executor& loop) noexcept {
  const auto* target = loop.target<asio::io_context::executor_type>();
  if (!target)
    return;
  for (auto& candidate : workers.loops_)
    if (&target->context() == &candidate->context) {
      count_ = &candidate->waiting;
      count_->fetch_add(1, std::memory_order_relaxed);
      return;
    }
}

unsigned Workers::waiting_on(unsigned i) const noexcept {
  return loops_[i]->waiting.load(std::memory_order_relaxed);
}

Workers::Waiting::~Waiting() {
  if (count_)
    count_->fetch_sub(1, std::memory_order_relaxed);
}

asio::any_io_executor Workers::other() {
  const int self = index_of_caller();
  if (self < 0 || size() == 1)
    return next();
  // Any worker but the caller: turn over the size() - 1 others.
  const unsigned step = 1 + turn_.fetch_add(1, std::memory_order_relaxed) % (size() - 1);
  return executor((static_cast<unsigned>(self) + step) % size());
}

asio::any_io_executor Workers::here() {
  const int self = index_of_caller();
  return self < 0 ? next() : executor(static_cast<unsigned>(self));
}

void Workers::join() {
  for (auto& loop : loops_)
    loop->keep_running.reset();
  for (std::thread& thread : threads_)
    if (thread.joinable())
      thread.join();
  // A worker ends once its own work is done, and another may still post to it after that
  // (a stack split off, a node started): such late handlers run here, until none is left.
  // Operations still waiting (a timer, a socket) are not waited for: every run has ended by
  // the time the engine joins, and what a run leaves waiting holds its worker's work count.
  for (bool ran = !stopped_.load(); ran;) {
    ran = false;
    for (auto& loop : loops_) {
      loop->context.restart();
      ran = loop->context.poll() > 0 || ran;
    }
  }
}

void Workers::stop() {
  stopped_ = true;
  for (auto& loop : loops_)
    loop->context.stop();
}

} // namespace sluice::detail
