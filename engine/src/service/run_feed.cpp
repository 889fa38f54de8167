// A run's live events. Readers sleep on a timer of their own; append() and close() wake them
// by posting a cancel of that timer to the reader's strand, so the timer is only ever touched
// there. A reader whose timer ran out simply looks again.

#include "run_feed.hpp"

#include "run_store.hpp"

#include <sluice/value.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace sluice::service {

namespace asio = boost::asio;

struct RunFeed::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
};

RunFeed::RunFeed(std::size_t max_events) : max_events_(max_events) {
}

void RunFeed::append(std::string event) {
  std::lock_guard lock(mutex_);
  if (closed_ || truncated_)
    return;
  if (events_.size() + 1 >= max_events_) {
    truncated_ = true;
    event = Value(Object{{"kind", "truncated"},
                         {"message", "this run has more than " + std::to_string(max_events_) +
                                         " events; the rest are left out"}})
                .to_json();
  }
  events_.push_back(std::move(event));
  wake_locked();
}

void RunFeed::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  wake_locked();
}

void RunFeed::wake_locked() {
  for (const std::shared_ptr<Waiter>& waiter : waiters_)
    asio::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
  waiters_.clear();
}

asio::awaitable<void> RunFeed::sleep(std::shared_ptr<Waiter> waiter) {
  boost::system::error_code woken_or_timed_out;
  co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, woken_or_timed_out));
  std::lock_guard lock(mutex_);
  std::erase(waiters_, waiter);
}

std::shared_ptr<RunFeed::Waiter> RunFeed::waiter_locked(const asio::any_io_executor& executor,
                                                        std::chrono::milliseconds timeout) {
  auto waiter = std::make_shared<Waiter>(executor);
  waiter->timer.expires_after(timeout);
  waiters_.push_back(waiter);
  return waiter;
}

RunFeed::Slice RunFeed::slice_locked(std::size_t from) const {
  Slice slice;
  slice.closed = closed_;
  if (from < events_.size())
    slice.events.assign(events_.begin() + static_cast<std::ptrdiff_t>(from), events_.end());
  return slice;
}

asio::awaitable<RunFeed::Slice> RunFeed::next(std::size_t from, std::chrono::milliseconds timeout) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mutex_);
    if (from < events_.size() || closed_)
      co_return slice_locked(from);
    waiter = waiter_locked(executor, timeout);
  }
  co_await sleep(std::move(waiter));
  std::lock_guard lock(mutex_);
  co_return slice_locked(from);
}

asio::awaitable<bool> RunFeed::closed_within(std::chrono::milliseconds timeout) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::shared_ptr<Waiter> waiter;
    {
      std::lock_guard lock(mutex_);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (closed_ || left.count() <= 0)
        co_return closed_;
      waiter = waiter_locked(executor, left);
    }
    co_await sleep(std::move(waiter));
  }
}

std::vector<std::string> RunFeed::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

void RunFeed::set_ending(const StoredRun& ending) {
  std::lock_guard lock(mutex_);
  ending_ = ending;
}

std::optional<StoredRun> RunFeed::ended(StoredRun accepted) const {
  std::lock_guard lock(mutex_);
  if (!closed_ || !ending_)
    return std::nullopt;
  accepted.status = ending_->status;
  accepted.outputs = ending_->outputs;
  accepted.nodes = ending_->nodes;
  accepted.error = ending_->error;
  accepted.cancel_requested = ending_->cancel_requested;
  accepted.started_at = ending_->started_at;
  accepted.finished_at = ending_->finished_at;
  return accepted;
}

FeedObserver::FeedObserver(std::shared_ptr<RunFeed> feed)
    : feed_(std::move(feed)),
      wall_offset_(std::chrono::system_clock::now().time_since_epoch() -
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(
                       Clock::now().time_since_epoch())) {
}

namespace {

// `text` as a JSON string: escaped by the SDK's writer (node ids and messages may hold
// anything).
std::string json_string(std::string_view text) {
  return Value(std::string(text)).to_json();
}

// A member whose value is one of the engine's own words (a kind, a level, a status): plain
// lowercase letters and underscores, nothing to escape.
void append_word(std::string& out, std::string_view key, std::string_view word) {
  out.append(",\"").append(key).append("\":\"").append(word).append("\"");
}

void append_number(std::string& out, std::string_view key, std::int64_t number) {
  out.append(",\"").append(key).append("\":").append(std::to_string(number));
}

} // namespace

void FeedObserver::on_event(const Event& event) {
  const auto wall = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          event.time.time_since_epoch()) +
      wall_offset_);
  // Written as JSON text directly: the same members in the same order as before, when the
  // event was built as a Value object and serialised (about 5,500 instructions an event,
  // four events for the smallest run). The kind comes first: sse_message() reads it.
  std::string out = R"({"kind":")";
  out.append(to_string(event.kind))
      .append(R"(","time":")")
      .append(iso_ms(std::chrono::floor<std::chrono::milliseconds>(wall)))
      .append("\"");
  if (!event.node_id.empty())
    out.append(R"(,"node":)").append(json_string(event.node_id));
  if (event.item_index >= 0)
    append_number(out, "item", event.item_index);
  if (event.attempt > 0)
    append_number(out, "attempt", static_cast<std::int64_t>(event.attempt));
  if (!event.message.empty())
    out.append(R"(,"message":)").append(json_string(event.message));
  switch (event.kind) {
  case EventKind::log:
    append_word(out, "level", to_string(event.level));
    break;
  case EventKind::node_failed:
  case EventKind::node_retrying:
    append_word(out, "category", to_string(event.category));
    if (event.kind == EventKind::node_retrying)
      append_number(out, "delay_ms", static_cast<std::int64_t>(event.delay.count()));
    break;
  case EventKind::run_finished:
    append_word(out, "status", to_string(event.run_status));
    break;
  default:
    break;
  }
  out += '}';
  feed_->append(std::move(out));
}

std::string sse_message(std::size_t index, const std::string& event) {
  // The event's kind names the SSE event, so EventSource clients can listen per kind. Every
  // event of a feed starts with its kind (FeedObserver, append()), a plain word: read from
  // the text rather than parsing each event again for each reader.
  constexpr std::string_view start = R"({"kind":")";
  std::string_view kind = "message";
  if (event.starts_with(start))
    if (const std::size_t end = event.find('"', start.size()); end != std::string::npos)
      kind = std::string_view(event).substr(start.size(), end - start.size());
  std::string message = "id: " + std::to_string(index) + "\nevent: ";
  message.append(kind).append("\ndata: ").append(event).append("\n\n");
  return message;
}

} // namespace sluice::service
