// Group commit. Callers queue their run and sleep (a coroutine on a timer of its own, a
// thread on a condition variable); the writer thread takes everything queued, writes the
// endings and the new runs with RunStore::finish_and_accept (one transaction, synced when it
// accepts runs; endings alone are not synced), and wakes each caller. With a store that logs
// runs, nobody waits: the writer only has the store write what it logged, a little later.

#include "run_writer.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <vector>

namespace sluice::service {

namespace asio = boost::asio;

struct RunWriter::Request {
  bool ending = false; ///< finish `id` with `run_ending`, rather than accept `run`
  NewRun run;
  RunEnding run_ending;
  std::optional<std::string> id;
  std::exception_ptr error;
  /// Called by the writer once `id` or `error` is set.
  std::function<void()> written;
};

RunWriter::RunWriter(RunStore& store, std::size_t max_batch, std::chrono::milliseconds write_delay)
    : store_(store), max_batch_(max_batch), write_delay_(write_delay),
      thread_([this] { write_batches(); }) {
}

RunWriter::~RunWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RunWriter::enqueue(std::shared_ptr<Request> request) {
  // Notified with the lock held: once the lock is released the writer may finish this
  // request, and its owner destroy the writer, before a notify after the unlock would run.
  std::lock_guard lock(mutex_);
  waiting_.push_back(std::move(request));
  wake_.notify_one();
}

void RunWriter::note_logged() {
  if (logged_.exchange(true, std::memory_order_acq_rel))
    return; // the writer knows, and writes it with the rest
  // Notified with the lock held: the writer is then either before its check of `logged_` or
  // waiting, never between the two.
  std::lock_guard lock(mutex_);
  wake_.notify_one();
}

bool RunWriter::logs(const NewRun& run) const noexcept {
  return store_.logs_runs() && !run.fire;
}

std::optional<std::string> RunWriter::accept_into_log(const NewRun& run) {
  std::optional<std::string> id = store_.accept(run);
  note_logged();
  return id;
}

asio::awaitable<std::optional<std::string>> RunWriter::accept(NewRun run) {
  if (logs(run))
    co_return accept_into_log(run);
  // A timer that never fires on its own: the writer cancels it, on this strand, when done.
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                    asio::steady_timer::time_point::max());
  auto request = std::make_shared<Request>();
  request->run = std::move(run);
  request->written = [timer] { asio::post(timer->get_executor(), [timer] { timer->cancel(); }); };
  enqueue(request);
  boost::system::error_code woken;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, woken));
  // The writer set the result before it posted the cancel that woke this coroutine.
  if (request->error)
    std::rethrow_exception(request->error);
  co_return request->id;
}

void RunWriter::finish_later(std::string id, RunEnding ending, std::function<void()> written) {
  if (store_.logs_runs()) {
    try {
      (void)store_.finish_and_accept({{std::move(id), std::move(ending)}}, {});
      note_logged();
    } catch (const std::exception&) {
      // Not logged (disk full): the run stays running, as when a write of the store fails.
    }
    written();
    return;
  }
  auto request = std::make_shared<Request>();
  request->ending = true;
  request->id = std::move(id);
  request->run_ending = std::move(ending);
  request->written = std::move(written);
  enqueue(std::move(request));
}

std::optional<std::string> RunWriter::accept_now(NewRun run) {
  if (logs(run))
    return accept_into_log(run);
  // Shared with the writer, which may still be inside notify_all() when this returns.
  struct Done {
    std::mutex mutex;
    std::condition_variable changed;
    bool done = false;
  };
  auto done = std::make_shared<Done>();
  auto request = std::make_shared<Request>();
  request->run = std::move(run);
  request->written = [done] {
    std::lock_guard lock(done->mutex);
    done->done = true;
    done->changed.notify_all();
  };
  enqueue(request);
  std::unique_lock lock(done->mutex);
  done->changed.wait(lock, [&] { return done->done; });
  if (request->error)
    std::rethrow_exception(request->error);
  return request->id;
}

void RunWriter::write_batches() {
  for (;;) {
    std::vector<std::shared_ptr<Request>> batch;
    {
      std::unique_lock lock(mutex_);
      const auto logged = [this] { return logged_.load(std::memory_order_acquire); };
      wake_.wait(lock, [&] { return stopping_ || logged() || !waiting_.empty(); });
      if (waiting_.empty() && !logged())
        return; // stopping, and nothing left to write (the store writes what it logged)
      if (waiting_.empty() && !stopping_) // only logged records: let more of them come
        wake_.wait_for(lock, write_delay_, [this] { return stopping_ || !waiting_.empty(); });
      // From here on a record logged is noted again: this write may not include it. One
      // logged before is in it (logged, then noted, then this).
      logged_.store(false, std::memory_order_release);
      while (!waiting_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
    }
    if (batch.empty()) { // what the store logged, alone
      try {
        store_.write_logged();
      } catch (const std::exception&) {
        // Still logged: written with the next write, or replayed after a restart.
      }
      continue;
    }
    std::vector<std::pair<std::string, RunEnding>> endings;
    std::vector<NewRun> runs;
    for (const auto& request : batch)
      if (request->ending)
        endings.emplace_back(*request->id, std::move(request->run_ending));
      else
        runs.push_back(std::move(request->run)); // not read again: the id is the answer
    try {
      std::vector<std::optional<std::string>> ids = store_.finish_and_accept(endings, runs);
      std::size_t next = 0;
      for (const auto& request : batch)
        if (!request->ending)
          request->id = std::move(ids[next++]);
    } catch (...) {
      // The transaction failed as a whole: none of the runs is accepted (the endings stay
      // unwritten too: see finish_later).
      for (const auto& request : batch)
        if (!request->ending)
          request->error = std::current_exception();
    }
    for (const auto& request : batch)
      request->written();
  }
}

} // namespace sluice::service
