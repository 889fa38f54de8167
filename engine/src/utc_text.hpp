#pragma once
// Times as UTC ISO 8601 text, the form every API answer, event and log line uses. Written by
// hand: date::format parses its format string and builds a stream for every call, which was
// a measurable share of answering a webhook (each answer and each run event carries times).

#include <chrono>
#include <string>

namespace sluice::detail {

/// 2026-12-06T09:00:00Z, or with `milliseconds` 2026-12-06T09:00:00.250Z.
std::string utc_text(std::chrono::sys_time<std::chrono::milliseconds> at, bool milliseconds);

} // namespace sluice::detail
