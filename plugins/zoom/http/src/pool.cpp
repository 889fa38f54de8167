// The per-origin pool. Single-threaded by contract (see Client), so nothing is locked.
// Fairness: a freed slot is handed straight to the longest waiter, never left for whoever
// asks next, and newcomers queue behind existing waiters.

#include "pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <utility>

namespace sluice::zoom::http::detail {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
struct Waiter;
}

struct OriginSlots {
  std::size_t open = 0; // slots taken: connections in use or idle, and empty granted slots
  std::deque<std::unique_ptr<Connection>> idle; // oldest first
  std::deque<Waiter*> waiters;
};

namespace {

// A queued acquire. It lives in the waiting coroutine's frame; if that frame is destroyed
// without resuming (its io_context went away), the destructor undoes the queueing.
struct Waiter {
  Waiter(asio::any_io_executor executor, Pool& pool, OriginSlots& origin)
      : timer(std::move(executor)), pool(pool), origin(origin) {}
  ~Waiter() {
    if (!granted)
      std::erase(origin.waiters, this);
    else if (!taken) {
      const bool reusable = connection != nullptr;
      pool.give_back(origin, std::move(connection), reusable);
    }
  }
  asio::steady_timer timer;
  Pool& pool;
  OriginSlots& origin;
  bool granted = false;
  bool taken = false;
  std::unique_ptr<Connection> connection; // null: an empty slot to open a connection in
};

} // namespace

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
  if (connection && !reusable)
    connection.reset(); // closes it
  if (connection)
    connection->idle_since = Clock::now();
  if (!origin.waiters.empty()) {
    Waiter* next = origin.waiters.front();
    origin.waiters.pop_front();
    next->granted = true;
    next->connection = std::move(connection);
    next->timer.cancel();
    return; // the slot changes hands; `open` stays
  }
  if (connection)
    origin.idle.push_back(std::move(connection));
  else
    --origin.open;
}

void Pool::drop_expired() {
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
  for (auto& [key, origin] : origins_) {
    origin->open -= origin->idle.size();
    origin->idle.clear();
  }
}

asio::awaitable<Lease> Pool::acquire(const std::string& origin_key) {
  drop_expired();
  std::unique_ptr<OriginSlots>& slots = origins_[origin_key];
  if (!slots)
    slots = std::make_unique<OriginSlots>();
  OriginSlots& origin = *slots;

  if (origin.waiters.empty()) {
    // Most recently used first: it is the least likely to have been closed by the server.
    while (!origin.idle.empty()) {
      std::unique_ptr<Connection> connection = std::move(origin.idle.back());
      origin.idle.pop_back();
      if (!connection->unusable_while_idle())
        co_return Lease(this, &origin, std::move(connection));
      --origin.open;
    }
    if (origin.open < std::max<std::size_t>(1, options_.max_connections_per_origin)) {
      ++origin.open;
      co_return Lease(this, &origin, nullptr);
    }
  }

  Waiter waiter(co_await asio::this_coro::executor, *this, origin);
  waiter.timer.expires_at(asio::steady_timer::time_point::max());
  origin.waiters.push_back(&waiter);
  co_await waiter.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!waiter.granted)
    throw boost::system::system_error(asio::error::operation_aborted); // only a cancel wakes it
  waiter.taken = true;
  Lease lease(this, &origin, std::move(waiter.connection));
  lease.reusable = lease.connection != nullptr; // cancelled now: the connection stays pooled
  throw_if_cancelled(co_await asio::this_coro::cancellation_state);
  lease.reusable = false;
  if (lease.connection && lease.connection->unusable_while_idle())
    lease.connection.reset();
  co_return lease;
}

} // namespace sluice::zoom::http::detail
