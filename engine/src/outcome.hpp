#pragma once
// Owns a node's outcome as the executor records it: Outcome, how whatever a node threw is
// classified into one, and the delay before a retry.

#include "plan.hpp"

#include <sluice/error.hpp>
#include <sluice/value.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

namespace sluice::detail {

struct Outcome {
  bool ok = false;
  Value value;
  ErrorCategory category = ErrorCategory::internal;
  std::string message;
  std::uint32_t attempts = 1;
  /// For rate_limited failures: the delay the service asked for.
  std::optional<std::chrono::milliseconds> retry_after;
};

inline Outcome success(Value value) {
  return Outcome{true, std::move(value), {}, {}, 1, {}};
}
inline Outcome failure(ErrorCategory category, std::string message) {
  return Outcome{false, Value(), category, std::move(message), 1, {}};
}

/// Turns whatever a node threw into an outcome.
Outcome classify(std::exception_ptr error);

/// How long to wait after failed attempt `attempt` (1-based) before the next: exponential
/// from `policy.backoff`, capped at `policy.max_backoff`, with jitter.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, std::uint32_t attempt);

/// A delay for a message: whole seconds as "2s", anything else as "250ms".
std::string format_ms(std::chrono::milliseconds ms);

} // namespace sluice::detail
