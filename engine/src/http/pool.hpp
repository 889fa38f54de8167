#pragma once
// Keep-alive connections per origin, with a bound on how many each origin may have open.
// Shared by every caller of a Client, on any thread; each caller preferably gets a connection
// of its own event loop.

#include "connection.hpp"

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sluice::http::detail {

class Pool;
struct OriginSlots;

// The right to one connection slot of an origin, with the connection in it (or none yet:
// the holder opens one). Destroying it returns the slot: a connection marked reusable goes
// back to the pool (or straight to the first waiter), anything else is closed.
class Lease {
public:
  Lease() = default;
  Lease(Pool* pool, OriginSlots* origin, std::unique_ptr<Connection> connection);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();

  std::unique_ptr<Connection> connection;
  bool reusable = false;

private:
  void give_back() noexcept;
  Pool* pool_ = nullptr;
  OriginSlots* origin_ = nullptr;
};

class Pool {
public:
  explicit Pool(const ClientOptions& options);
  ~Pool();

  // A slot for `origin_key`: an idle connection of the caller's event loop `loop` when one is
  // usable, else an empty slot when the origin is below its limit, else an idle connection of
  // another loop, else waits (FIFO) for one. Throws system_error(operation_aborted) when the
  // caller is cancelled while waiting.
  boost::asio::awaitable<Lease> acquire(const std::string& origin_key, const void* loop);
  void close_idle();

  // Returns a slot (used by Lease and by waiters that never resumed).
  void give_back(OriginSlots& origin, std::unique_ptr<Connection> connection, bool reusable);

private:
  friend struct WaitGuard;
  void give_back_locked(OriginSlots& origin, std::unique_ptr<Connection> connection, bool reusable);
  void drop_expired_locked();
  // The newest idle connection of `loop` (of any loop when null) that the server has not
  // closed; the closed ones met on the way are dropped.
  std::unique_ptr<Connection> take_idle_locked(OriginSlots& origin, const void* loop);

  const ClientOptions& options_;
  std::mutex mutex_; // guards origins_ and everything in it
  std::map<std::string, std::unique_ptr<OriginSlots>> origins_;
};

} // namespace sluice::http::detail
