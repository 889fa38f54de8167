// The per-origin pool. Callers run on different threads, so every change of a pool's state
// happens under its mutex; a waiter is woken on its own executor (a post that cancels its
// timer), never touched from the thread that frees the slot.
// Fairness: a freed slot is handed straight to the longest waiter, never left for whoever
// asks next, and newcomers queue behind existing waiters.

#include "pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <utility>

namespace sluice::http::detail {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// A queued acquire. Shared between the waiting coroutine and the post that wakes it.
struct Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;               // touched only on the waiter's executor
  bool granted = false;                   // under the pool's mutex
  bool taken = false;                     // under the pool's mutex
  std::unique_ptr<Connection> connection; // null: an empty slot to open a connection in
};

struct OriginSlots {
  std::size_t open = 0; // slots taken: connections in use or idle, and empty granted slots
  std::deque<std::unique_ptr<Connection>> idle; // oldest first
  std::deque<std::shared_ptr<Waiter>> waiters;
};

// Lives in the waiting coroutine's frame: if the frame is destroyed without resuming (its
// executor went away), undoes the queueing or returns a slot granted meanwhile.
struct WaitGuard {
  Pool& pool;
  OriginSlots& origin;
  std::shared_ptr<Waiter> waiter;
  ~WaitGuard() {
    std::lock_guard lock(pool.mutex_);
    if (!waiter->granted) {
      std::erase(origin.waiters, waiter);
    } else if (!waiter->taken) {
      waiter->taken = true;
      const bool reusable = waiter->connection != nullptr;
      pool.give_back_locked(origin, std::move(waiter->connection), reusable);
    }
  }
};

Lease::Lease(Pool* pool, OriginSlots* origin, std::unique_ptr<Connection> connection)
    : connection(std::move(connection)), pool_(pool), origin_(origin) {
}

Lease::Lease(Lease&& other) noexcept
    : connection(std::move(other.connection)), reusable(other.reusable),
      pool_(std::exchange(other.pool_, nullptr)), origin_(std::exchange(other.origin_, nullptr)) {
}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    give_back();
    connection = std::move(other.connection);
    reusable = other.reusable;
    pool_ = std::exchange(other.pool_, nullptr);
    origin_ = std::exchange(other.origin_, nullptr);
  }
  return *this;
}

Lease::~Lease() {
  give_back();
}

void Lease::give_back() noexcept {
  if (pool_)
    pool_->give_back(*origin_, std::move(connection), reusable);
  pool_ = nullptr;
}

Pool::Pool(const ClientOptions& options) : options_(options) {
}

Pool::~Pool() = default;

void Pool::give_back(OriginSlots& origin, std::unique_ptr<Connection> connection, bool reusable) {
  std::lock_guard lock(mutex_);
  give_back_locked(origin, std::move(connection), reusable);
}

void Pool::give_back_locked(OriginSlots& origin, std::unique_ptr<Connection> connection,
                            bool reusable) {
  if (connection && !reusable)
    connection.reset(); // closes it
  if (connection)
    connection->idle_since = Clock::now();
  if (!origin.waiters.empty()) {
    std::shared_ptr<Waiter> next = std::move(origin.waiters.front());
    origin.waiters.pop_front();
    next->granted = true;
    next->connection = std::move(connection);
    asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
    return; // the slot changes hands; `open` stays
  }
  if (connection)
    origin.idle.push_back(std::move(connection));
  else
    --origin.open;
}

std::unique_ptr<Connection> Pool::take_idle_locked(OriginSlots& origin, const void* loop) {
  // Newest first; erasing position i leaves the older ones, still to be looked at, in place.
  for (std::size_t i = origin.idle.size(); i-- > 0;) {
    if (loop && origin.idle[i]->loop != loop)
      continue;
    std::unique_ptr<Connection> connection = std::move(origin.idle[i]);
    origin.idle.erase(origin.idle.begin() + static_cast<std::ptrdiff_t>(i));
    if (!connection->unusable_while_idle())
      return connection;
    --origin.open; // closed by the server while idle: its slot is free
  }
  return nullptr;
}

void Pool::drop_expired_locked() {
  const Clock::time_point now = Clock::now();
  for (auto& [key, origin] : origins_) {
    while (!origin->idle.empty() &&
           now - origin->idle.front()->idle_since > options_.idle_timeout) {
      origin->idle.pop_front();
      --origin->open;
    }
  }
}

void Pool::close_idle() {
  std::lock_guard lock(mutex_);
  for (auto& [key, origin] : origins_) {
    origin->open -= origin->idle.size();
    origin->idle.clear();
  }
}

asio::awaitable<Lease> Pool::acquire(const std::string& origin_key, const void* loop) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  OriginSlots* origin = nullptr;
  {
    std::lock_guard lock(mutex_);
    drop_expired_locked();
    std::unique_ptr<OriginSlots>& slots = origins_[origin_key];
    if (!slots)
      slots = std::make_unique<OriginSlots>();
    origin = slots.get();
    if (origin->waiters.empty()) {
      // The caller's loop's connections first, most recently used first (the least likely to
      // have been closed by the server); then a new one; then another loop's (its reads and
      // writes hop between threads, which is still cheaper than waiting).
      if (std::unique_ptr<Connection> connection = take_idle_locked(*origin, loop))
        co_return Lease(this, origin, std::move(connection));
      if (origin->open < std::max<std::size_t>(1, options_.max_connections_per_origin)) {
        ++origin->open;
        co_return Lease(this, origin, nullptr);
      }
      if (std::unique_ptr<Connection> connection = take_idle_locked(*origin, nullptr))
        co_return Lease(this, origin, std::move(connection));
    }
    waiter = std::make_shared<Waiter>(executor);
    waiter->timer.expires_at(asio::steady_timer::time_point::max());
    origin->waiters.push_back(waiter);
  }

  WaitGuard guard{*this, *origin, waiter};
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  Lease lease;
  {
    std::lock_guard lock(mutex_);
    if (!waiter->granted)
      throw boost::system::system_error(asio::error::operation_aborted); // only a cancel wakes it
    waiter->taken = true;
    lease = Lease(this, origin, std::move(waiter->connection));
  }
  lease.reusable = lease.connection != nullptr; // cancelled now: the connection stays pooled
  throw_if_cancelled(co_await asio::this_coro::cancellation_state);
  lease.reusable = false;
  if (lease.connection && lease.connection->unusable_while_idle())
    lease.connection.reset();
  co_return lease;
}

} // namespace sluice::http::detail
