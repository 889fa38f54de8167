#pragma once
// The rules of recurrence{} across its fields, beyond what its table checks.

#include "problems.hpp"

#include <chrono>

namespace sluice::zoom::detail {

// `recurrence` has passed its shape check (so `type` is 1, 2 or 3); adds a problem for each
// rule it breaks, with paths "recurrence.<key>".
void check_recurrence(const Value& recurrence, std::chrono::sys_seconds now, Problems& problems);

} // namespace sluice::zoom::detail
