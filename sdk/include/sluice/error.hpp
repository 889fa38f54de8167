#pragma once
/// @file
/// Error categories and the exception a node throws to report a failure.

#include <sluice/export.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sluice {

/// What kind of failure happened; the executor decides from it whether to retry.
enum class ErrorCategory {
  invalid_input, ///< the settings or inputs are wrong; retrying cannot help
  permission,    ///< not allowed (missing scope, revoked grant); needs a human
  not_found,     ///< the thing asked for does not exist
  conflict,      ///< the request clashes with the current state
  transient,     ///< a temporary failure (5xx, dropped connection); retry with backoff
  rate_limited,  ///< the service asked us to slow down; retry after its delay
  timeout,       ///< the node did not finish in time; retried like a transient failure
  cancelled,     ///< the run was cancelled
  internal,      ///< a bug or an unexpected exception
  /// A failure no retry can mend that is not the settings' fault: the service answered
  /// something unusable (not HTTP, too large). Added in SDK 1.4, so last.
  permanent,
};

/// "invalid_input", "permission", ... (the enumerator's name).
SLUICE_SDK_API std::string_view to_string(ErrorCategory category) noexcept;
/// Parses the enumerator's name; nullopt when unknown.
SLUICE_SDK_API std::optional<ErrorCategory> parse_error_category(std::string_view name) noexcept;
/// True for transient, rate_limited and timeout: the categories a retry can cure.
SLUICE_SDK_API bool is_retryable(ErrorCategory category) noexcept;

/// The exception a node throws to fail with a category. Any other exception is recorded as
/// `internal`. The message is shown to users: never put a secret in it.
class SLUICE_SDK_API NodeError : public std::runtime_error {
public:
  NodeError(ErrorCategory category, const std::string& message, std::string hint = {},
            std::optional<std::chrono::milliseconds> retry_after = std::nullopt);

  ErrorCategory category() const noexcept { return category_; }
  /// What the user can do about it, or empty.
  const std::string& hint() const noexcept { return hint_; }
  /// For rate_limited: how long the service asked us to wait.
  std::optional<std::chrono::milliseconds> retry_after() const noexcept { return retry_after_; }

private:
  ErrorCategory category_;
  std::string hint_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

} // namespace sluice
