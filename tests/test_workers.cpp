// The engine's worker threads (engine/src/workers): one event loop per thread, work kept
// where it was started, split-off work sent elsewhere, new work kept off busy workers, and a
// join that finishes what was queued.

#include "workers.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

using sluice::detail::Workers;
namespace asio = boost::asio;

namespace {

// The thread that runs a handler posted to `executor`.
std::thread::id thread_of(const asio::any_io_executor& executor) {
  std::promise<std::thread::id> id;
  asio::post(executor, [&id] { id.set_value(std::this_thread::get_id()); });
  return id.get_future().get();
}

// Runs `task` on `executor` and waits for its result.
template <class Task> auto on(const asio::any_io_executor& executor, Task task) {
  std::promise<decltype(task())> result;
  asio::post(executor, [&] { result.set_value(task()); });
  return result.get_future().get();
}

} // namespace

TEST_CASE("each worker is one thread of its own, and stays the same thread") {
  Workers workers(3);
  REQUIRE(workers.size() == 3);
  std::set<std::thread::id> threads;
  for (unsigned i = 0; i < workers.size(); ++i) {
    const std::thread::id id = thread_of(workers.executor(i));
    CHECK(id != std::this_thread::get_id());
    for (int k = 0; k < 20; ++k)
      CHECK(thread_of(workers.executor(i)) == id);
    threads.insert(id);
  }
  CHECK(threads.size() == 3);
  CHECK(Workers(0).size() == 1); // at least one
}

TEST_CASE("here() is the caller's worker; other() never is") {
  Workers workers(3);
  for (unsigned i = 0; i < workers.size(); ++i) {
    const std::thread::id self = thread_of(workers.executor(i));
    for (int k = 0; k < 12; ++k) {
      CHECK(thread_of(on(workers.executor(i), [&] { return workers.here(); })) == self);
      CHECK(thread_of(on(workers.executor(i), [&] { return workers.other(); })) != self);
    }
  }
  // From a thread that is not a worker, other() and here() still name a worker.
  std::set<std::thread::id> seen;
  for (int k = 0; k < 6; ++k) {
    seen.insert(thread_of(workers.other()));
    seen.insert(thread_of(workers.here()));
  }
  CHECK(seen.size() == 3);
  CHECK(seen.count(std::this_thread::get_id()) == 0);

  // Of one worker, other() can only give itself.
  Workers single(1);
  const std::thread::id only = thread_of(single.executor(0));
  CHECK(thread_of(on(single.executor(0), [&] { return single.other(); })) == only);
}

TEST_CASE("next() takes turns, and passes over a worker marked busy") {
  Workers workers(2);
  const std::thread::id first = thread_of(workers.executor(0));
  const std::thread::id second = thread_of(workers.executor(1));
  std::multiset<std::thread::id> turns;
  for (int k = 0; k < 10; ++k)
    turns.insert(thread_of(workers.next()));
  CHECK(turns.count(first) == 5);
  CHECK(turns.count(second) == 5);

  // Worker 0 runs a long stack of nodes (a Busy mark) until released.
  std::promise<void> release;
  std::promise<void> marked;
  asio::post(workers.executor(0), [&] {
    const Workers::Busy busy(workers);
    marked.set_value();
    release.get_future().wait();
  });
  marked.get_future().wait();
  for (int k = 0; k < 10; ++k)
    CHECK(thread_of(workers.next()) == second);
  release.set_value();
  thread_of(workers.executor(0)); // the handler (and its mark) has ended
  // Unmarked again: both take turns.
  turns.clear();
  for (int k = 0; k < 10; ++k)
    turns.insert(thread_of(workers.next()));
  CHECK(turns.count(first) == 5);

  // A mark on a thread that is not a worker changes nothing.
  const Workers::Busy outside(workers);
  turns.clear();
  for (int k = 0; k < 4; ++k)
    turns.insert(thread_of(workers.next()));
  CHECK(turns.count(first) == 2);
}

TEST_CASE("a Waiting mark counts on its own worker only, while it lives") {
  Workers workers(3);
  {
    const Workers::Waiting first(workers, workers.executor(1));
    const Workers::Waiting second(workers, workers.executor(1));
    const Workers::Waiting third(workers, workers.executor(2));
    CHECK(workers.waiting_on(0) == 0);
    CHECK(workers.waiting_on(1) == 2);
    CHECK(workers.waiting_on(2) == 1);
    // A loop that is not one of these workers' is not counted anywhere.
    boost::asio::io_context elsewhere;
    const Workers::Waiting foreign(workers, elsewhere.get_executor());
    CHECK(workers.waiting_on(0) + workers.waiting_on(1) + workers.waiting_on(2) == 3);
  }
  CHECK(workers.waiting_on(0) == 0);
  CHECK(workers.waiting_on(1) == 0);
  CHECK(workers.waiting_on(2) == 0);
  workers.join();
}

TEST_CASE("join() runs what was queued first, and work posted from work") {
  std::atomic<int> done{0};
  {
    Workers workers(2);
    for (int k = 0; k < 200; ++k)
      asio::post(workers.next(), [&done, &workers] {
        asio::post(workers.other(), [&done] { done.fetch_add(1); });
      });
    workers.join();
    CHECK(done.load() == 200);
    workers.join(); // idempotent
  }
  CHECK(done.load() == 200);
}

TEST_CASE("stop() ends the loops without running what is queued") {
  Workers workers(1);
  std::promise<void> release;
  std::promise<void> started;
  std::atomic<bool> second_ran{false};
  asio::post(workers.executor(0), [&] {
    started.set_value();
    release.get_future().wait();
  });
  asio::post(workers.executor(0), [&] { second_ran = true; });
  started.get_future().wait();
  workers.stop();
  release.set_value();
  workers.join();
  CHECK_FALSE(second_ran.load());
}
