#pragma once
/// @file
/// Running a blocking call (a credential-store transaction, a file read) from a coroutine
/// without blocking the run's threads: on the engine's blocking pool
/// (`Context::blocking_executor()`), resuming the coroutine on its own executor with the
/// result or the exception (SDK ABI 1.6).
///
/// ```
/// auto read = [&] { return store.find("zoom-work"); };
/// std::optional<sluice::Connection> c = co_await sluice::run_blocking(ctx.blocking_executor(),
/// read);
/// ```

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>

namespace sluice {

namespace detail {
template <class Fn> auto invoke_as_coroutine(Fn fn) -> boost::asio::awaitable<decltype(fn())> {
  co_return fn();
}
} // namespace detail

/// Runs `fn()` on `pool` and resumes the awaiting coroutine on its own executor.
///
/// `fn` is taken by reference: name it in the caller and keep it alive until the result is
/// back. (GCC 12 destroys some temporaries of a `co_await` expression twice, lambdas among
/// them; a named callable avoids that.)
template <class Fn>
auto run_blocking(boost::asio::any_io_executor pool, Fn& fn)
    -> boost::asio::awaitable<decltype(fn())> {
  co_return co_await boost::asio::co_spawn(
      std::move(pool), detail::invoke_as_coroutine(std::ref(fn)), boost::asio::use_awaitable);
}

} // namespace sluice
