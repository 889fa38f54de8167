// Tests for error.hpp (sdk/src/error.cpp): error categories, their names, which are
// retryable, and NodeError.

#include <sluice/error.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace sluice;

TEST_CASE("error categories") {
  const ErrorCategory all[] = {ErrorCategory::invalid_input, ErrorCategory::permission,
                               ErrorCategory::not_found,     ErrorCategory::conflict,
                               ErrorCategory::transient,     ErrorCategory::rate_limited,
                               ErrorCategory::timeout,       ErrorCategory::cancelled,
                               ErrorCategory::internal,      ErrorCategory::permanent};
  for (ErrorCategory c : all)
    CHECK(parse_error_category(to_string(c)) == c);
  CHECK(to_string(ErrorCategory::invalid_input) == "invalid_input");
  CHECK(to_string(ErrorCategory::rate_limited) == "rate_limited");
  CHECK_FALSE(parse_error_category("bogus").has_value());
  CHECK_FALSE(parse_error_category("").has_value());
  CHECK(is_retryable(ErrorCategory::transient));
  CHECK(is_retryable(ErrorCategory::rate_limited));
  CHECK(is_retryable(ErrorCategory::timeout));
  CHECK_FALSE(is_retryable(ErrorCategory::invalid_input));
  CHECK_FALSE(is_retryable(ErrorCategory::cancelled));
  CHECK_FALSE(is_retryable(ErrorCategory::internal));
  CHECK_FALSE(is_retryable(ErrorCategory::permanent));
  CHECK(to_string(ErrorCategory::permanent) == "permanent");

  NodeError e(ErrorCategory::rate_limited, "slow down", "wait a bit",
              std::chrono::milliseconds(1500));
  CHECK(std::string(e.what()) == "slow down");
  CHECK(e.category() == ErrorCategory::rate_limited);
  CHECK(e.hint() == "wait a bit");
  CHECK(e.retry_after() == std::chrono::milliseconds(1500));
  NodeError plain(ErrorCategory::not_found, "missing");
  CHECK(plain.hint().empty());
  CHECK_FALSE(plain.retry_after().has_value());
}
