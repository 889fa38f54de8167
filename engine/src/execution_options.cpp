// A node's execution options (concurrency, retry, timeout, on_error): checked and stored in
// its PlanNode.

#include "execution_options.hpp"

#include "message_text.hpp"
#include <sluice/duration.hpp>

#include <limits>

namespace sluice::detail {

namespace {

// Whether `value` is a count a node option can hold: an integer from 1 to 2^32 - 1.
bool is_count(const Value& value) {
  return value.is_int() && value.as_int() >= 1 &&
         value.as_int() <= std::numeric_limits<std::uint32_t>::max();
}

// The duration a present field gives, or nullopt after reporting why it gives none.
std::optional<std::chrono::milliseconds> duration_of(const SpecField& field,
                                                     const ReportProblem& error) {
  auto duration = parse_duration(field.value);
  if (!duration)
    error(field.mark, "invalid duration '" + shown(field.value) + "': use e.g. 250ms, 2s, 5m");
  return duration;
}

} // namespace

void compile_execution_options(const NodeDecl& decl, PlanNode& node, bool has_for_each,
                               const ReportProblem& error) {
  if (decl.concurrency) {
    const Value& value = decl.concurrency->value;
    if (!is_count(value))
      error(decl.concurrency->mark,
            "'concurrency' must be an integer of at least 1, got " + shown(value));
    else if (!has_for_each)
      error(decl.concurrency->mark, "'concurrency' only applies to a node with 'for_each'");
    else
      node.edit_extra().concurrency = static_cast<std::uint32_t>(value.as_int());
  }
  if (decl.retry_attempts) {
    const Value& value = decl.retry_attempts->value;
    if (!is_count(value))
      error(decl.retry_attempts->mark,
            "retry 'attempts' must be an integer of at least 1, got " + shown(value));
    else
      node.edit_extra().retry.attempts = static_cast<std::uint32_t>(value.as_int());
  }
  // Most nodes set none of these (three calls per node to find out were about 100
  // instructions a node in the compile of a large plan).
  if (decl.retry_backoff)
    if (auto backoff = duration_of(*decl.retry_backoff, error))
      node.edit_extra().retry.backoff = *backoff;
  if (decl.retry_max_backoff)
    if (auto max_backoff = duration_of(*decl.retry_max_backoff, error))
      node.edit_extra().retry.max_backoff = *max_backoff;
  if (decl.timeout)
    if (auto timeout = duration_of(*decl.timeout, error)) {
      if (timeout->count() == 0)
        error(decl.timeout->mark, "'timeout' must be longer than 0ms");
      else
        node.edit_extra().timeout = *timeout;
    }
  if (decl.on_error) {
    const Value& value = decl.on_error->value;
    if (value.is_string() && value.as_string() == "fail")
      node.on_error = OnError::fail;
    else if (value.is_string() && value.as_string() == "continue")
      node.on_error = OnError::proceed;
    else
      error(decl.on_error->mark,
            "invalid on_error '" + shown(value) + "': use 'fail' or 'continue'");
  }
}

} // namespace sluice::detail
