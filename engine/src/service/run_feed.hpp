#pragma once
// Owns the live events of one run of `sluice serve`: the engine's observer appends them (as
// JSON text) from its worker threads, any number of readers follow them from the API's
// connections (Server-Sent Events, ?wait=), and when the run has ended the whole list goes
// to the run store, from where finished runs are replayed.

#include "run_store.hpp"

#include <sluice/run.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice::service {

class RunFeed {
public:
  /// Past `max_events` one last event says the rest were left out: a for_each over a
  /// million items must not hold a million events in memory.
  explicit RunFeed(std::size_t max_events = 10000);

  /// Thread-safe. Appends one event (a JSON object as text) and wakes the readers.
  void append(std::string event);
  /// Thread-safe. The run has ended: readers see the end once they have read everything.
  void close();

  struct Slice {
    std::vector<std::string> events; ///< from the index asked for on
    bool closed = false;             ///< nothing will follow these
  };
  /// Events from index `from` on. When there are none yet and the feed is open, waits until
  /// some come, the feed closes, or `timeout` passes (then an empty, open slice). Must be
  /// awaited on a strand (an HTTP connection's coroutine is): the wake-up is posted to it.
  boost::asio::awaitable<Slice> next(std::size_t from, std::chrono::milliseconds timeout);
  /// Waits until the feed closes or `timeout` passes; whether it closed. Same strand rule.
  boost::asio::awaitable<bool> closed_within(std::chrono::milliseconds timeout);

  /// Thread-safe. Every event so far, for the store.
  std::vector<std::string> events() const;

  /// How the run ended, as written to the store: set before close(), so that whoever waited
  /// for the end can answer without reading the store.
  void set_ending(const StoredRun& ending);
  /// `accepted` (the run as it was accepted) as it ended, once the feed has closed with an
  /// ending; nullopt otherwise (read the store).
  std::optional<StoredRun> ended(StoredRun accepted) const;

private:
  struct Waiter;
  std::shared_ptr<Waiter> waiter_locked(const boost::asio::any_io_executor& executor,
                                        std::chrono::milliseconds timeout);
  boost::asio::awaitable<void> sleep(std::shared_ptr<Waiter> waiter);
  Slice slice_locked(std::size_t from) const;
  void wake_locked();

  const std::size_t max_events_;
  mutable std::mutex mutex_;
  std::vector<std::string> events_;
  bool truncated_ = false;
  bool closed_ = false;
  std::optional<StoredRun> ending_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

/// The engine's events of one run, as JSON text, into a feed: `kind`, `time` (UTC, ms), and
/// what applies of `node`, `item`, `attempt`, `message`, `level`, `category`, `delay_ms`,
/// `status`.
class FeedObserver final : public RunObserver {
public:
  explicit FeedObserver(std::shared_ptr<RunFeed> feed);
  void on_event(const Event& event) override;

private:
  std::shared_ptr<RunFeed> feed_;
  // The engine's clock is steady; the feed shows wall-clock times.
  std::chrono::system_clock::duration wall_offset_;
};

/// `event` (one line of the feed, which starts with its `kind`) as a Server-Sent Events
/// message with id `index`, named by its kind.
std::string sse_message(std::size_t index, const std::string& event);

} // namespace sluice::service
