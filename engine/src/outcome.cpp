// Owns how a node's failure becomes an Outcome (classify) and the timing of its retries
// (backoff_delay, format_ms).

#include "outcome.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <random>

namespace sluice::detail {

namespace {

// The retry jitter's random engine: one per thread, seeded on first use. Seeding reads
// std::random_device, which executes CPUID; under a hypervisor that traps, and seeding per run
// cost 2-3 us, a quarter of a small run's time, on the 2-core machines we build on
// (tests/bench/README.md). Most runs never retry. Per thread, so drawing needs no lock.
std::minstd_rand& jitter_engine() {
  thread_local std::minstd_rand engine{std::random_device{}()};
  return engine;
}

} // namespace

Outcome classify(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const NodeError& e) {
    std::string message = e.what();
    if (!e.hint().empty())
      message += " (" + e.hint() + ")";
    Outcome outcome = failure(e.category(), std::move(message));
    outcome.retry_after = e.retry_after();
    return outcome;
  } catch (const boost::system::system_error& e) {
    if (e.code() == boost::asio::error::operation_aborted)
      return failure(ErrorCategory::cancelled, "cancelled");
    return failure(ErrorCategory::transient, e.what());
  } catch (const TypeError& e) {
    return failure(ErrorCategory::invalid_input, e.what());
  } catch (const std::exception& e) {
    return failure(ErrorCategory::internal, e.what());
  } catch (...) {
    return failure(ErrorCategory::internal, "unknown exception");
  }
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, std::uint32_t attempt) {
  // Exponential with jitter: base * 2^(attempt-1), capped, then scaled into [50%, 100%].
  double base = static_cast<double>(policy.backoff.count());
  for (std::uint32_t i = 1; i < attempt && base < 1e12; ++i)
    base *= 2;
  base = std::min(base, static_cast<double>(policy.max_backoff.count()));
  const double factor = std::uniform_real_distribution<double>(0.5, 1.0)(jitter_engine());
  return std::chrono::milliseconds(static_cast<std::int64_t>(base * factor));
}

std::string format_ms(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0)
    return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

} // namespace sluice::detail
