// Error categories and NodeError; see error.hpp.

#include <sluice/error.hpp>

#include <array>
#include <utility>

namespace sluice {

namespace {
// One table for both directions so that names cannot drift apart.
constexpr std::array<std::pair<ErrorCategory, std::string_view>, 10> kCategories{{
    {ErrorCategory::invalid_input, "invalid_input"},
    {ErrorCategory::permission, "permission"},
    {ErrorCategory::not_found, "not_found"},
    {ErrorCategory::conflict, "conflict"},
    {ErrorCategory::transient, "transient"},
    {ErrorCategory::rate_limited, "rate_limited"},
    {ErrorCategory::timeout, "timeout"},
    {ErrorCategory::cancelled, "cancelled"},
    {ErrorCategory::internal, "internal"},
    {ErrorCategory::permanent, "permanent"},
}};
} // namespace

std::string_view to_string(ErrorCategory category) noexcept {
  for (const auto& [c, name] : kCategories)
    if (c == category)
      return name;
  return "internal";
}

std::optional<ErrorCategory> parse_error_category(std::string_view name) noexcept {
  for (const auto& [c, n] : kCategories)
    if (n == name)
      return c;
  return std::nullopt;
}

bool is_retryable(ErrorCategory category) noexcept {
  return category == ErrorCategory::transient || category == ErrorCategory::rate_limited ||
         category == ErrorCategory::timeout;
}

NodeError::NodeError(ErrorCategory category, const std::string& message, std::string hint,
                     std::optional<std::chrono::milliseconds> retry_after)
    : std::runtime_error(message), category_(category), hint_(std::move(hint)),
      retry_after_(retry_after) {
}

} // namespace sluice
