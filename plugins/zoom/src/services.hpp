#pragma once
// What the plugin's code needs from its host, taken from a node's Context or a provider's
// ProviderContext: the engine's HTTP client, an executor for coroutines and the engine's pool
// for blocking calls. The plugin starts no threads of its own.

#include <sluice/blocking.hpp>
#include <sluice/http.hpp>
#include <sluice/node.hpp>
#include <sluice/provider.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <utility>

namespace sluice::zoom {

struct Services {
  HttpClient* http = nullptr;
  /// Where a coroutine of this task runs: a strand (the node's own, or a new one).
  boost::asio::any_io_executor io;
  /// The engine's pool for blocking calls (credential-store transactions).
  boost::asio::any_io_executor blocking;

  static Services of(Context& ctx);
  static Services of(ProviderContext& ctx);
};

/// Runs `fn()` (a blocking call, named by the caller: see sluice/blocking.hpp) on the
/// blocking pool and resumes on the awaiting coroutine's executor.
template <class Fn> auto run_blocking(const Services& services, Fn& fn) {
  return sluice::run_blocking(services.blocking, fn);
}

/// Runs the coroutine `make()` on a new strand of the host and blocks until it ends: for a
/// provider function (the host's own thread) or a blocking call on the blocking pool, never
/// for a coroutine. Its result, or its exception.
template <class Make> auto wait_for(const Services& services, Make make) {
  return boost::asio::co_spawn(services.io, std::move(make), boost::asio::use_future).get();
}

} // namespace sluice::zoom
