#pragma once
// The plugin's own threads: one I/O thread that owns the HTTP client (its connection pool
// outlives runs and engines, so keep-alive works across nodes), and a small pool for the
// credential store's blocking calls (SQLite transactions, waiting for another process's
// refresh), which must never block the engine's workers or the I/O thread.

#include "endpoints.hpp"

#include "sluice_zoom/http/client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <functional>
#include <memory>
#include <utility>

namespace sluice::zoom {

class Runtime {
public:
  /// The process-wide runtime, started on first use. Never destroyed: plugin code stays
  /// resident and its threads must not be joined from a static destructor.
  static Runtime& instance();

  /// The I/O thread's executor (single-threaded: what http::Client requires).
  boost::asio::any_io_executor io() const;
  /// The HTTP client for a connection's endpoints (one pool per CA bundle and per
  /// plain-http opt-in: the client options differ). Call on the I/O thread only.
  http::Client& client(const Endpoints& endpoints);
  /// Where blocking calls run.
  boost::asio::any_io_executor blocking() const;

private:
  Runtime();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

namespace detail {
template <class Fn> auto invoke_as_coroutine(Fn fn) -> boost::asio::awaitable<decltype(fn())> {
  co_return fn();
}
} // namespace detail

// GCC 12 destroys some temporaries of a co_await expression twice (lambdas, braced
// aggregates): pass these helpers named callables, by reference.

/// Runs `fn()` (a blocking call) on the runtime's blocking pool and resumes the awaiting
/// coroutine on its own executor with the result, or the exception.
/// `fn` is taken by reference: name it in the caller (see above) and keep it alive.
template <class Fn> auto run_blocking(Fn& fn) -> boost::asio::awaitable<decltype(fn())> {
  co_return co_await boost::asio::co_spawn(Runtime::instance().blocking(),
                                           detail::invoke_as_coroutine(std::ref(fn)),
                                           boost::asio::use_awaitable);
}

/// Runs the coroutine `make()` on the I/O thread; the awaiting coroutine resumes on its own
/// executor. Cancellation of the awaiting coroutine reaches the I/O coroutine. `make` lives
/// in this coroutine's frame until the I/O coroutine ends, so it may capture by reference.
template <class Make> auto on_io(Make& make) -> decltype(make()) {
  co_return co_await boost::asio::co_spawn(Runtime::instance().io(), make(),
                                           boost::asio::use_awaitable);
}

/// Runs the coroutine `make()` on the I/O thread and blocks until it ends (for the CLI's
/// thread, never for a coroutine): its result, or its exception.
template <class Make> auto wait_on_io(Make make) {
  return boost::asio::co_spawn(Runtime::instance().io(), std::move(make), boost::asio::use_future)
      .get();
}

} // namespace sluice::zoom
