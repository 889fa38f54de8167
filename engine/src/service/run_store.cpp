// Run statuses as the store writes them, and run ids.

#include "run_store.hpp"

#include "../utc_text.hpp"

#include <sluice/schedule.hpp>

#include <array>
#include <cstdio>
#include <stdexcept>
#include <sys/random.h>
#include <utility>

namespace sluice::service {

namespace {

constexpr std::array<std::pair<StoredRunStatus, std::string_view>, 7> status_names = {{
    {StoredRunStatus::queued, "queued"},
    {StoredRunStatus::running, "running"},
    {StoredRunStatus::succeeded, "succeeded"},
    {StoredRunStatus::failed, "failed"},
    {StoredRunStatus::cancelled, "cancelled"},
    {StoredRunStatus::interrupted, "interrupted"},
    {StoredRunStatus::skipped, "skipped"},
}};

} // namespace

std::string_view to_string(StoredRunStatus status) noexcept {
  for (const auto& [value, name] : status_names)
    if (value == status)
      return name;
  return "unknown";
}

std::optional<StoredRunStatus> stored_run_status_from(std::string_view text) noexcept {
  for (const auto& [value, name] : status_names)
    if (name == text)
      return value;
  return std::nullopt;
}

bool is_final(StoredRunStatus status) noexcept {
  return status != StoredRunStatus::queued && status != StoredRunStatus::running;
}

std::vector<std::optional<std::string>> RunStore::accept_all(const std::vector<NewRun>& runs) {
  std::vector<std::optional<std::string>> ids;
  ids.reserve(runs.size());
  for (const NewRun& run : runs)
    ids.push_back(accept(run));
  return ids;
}

std::size_t RunStore::finish_all(const std::vector<std::pair<std::string, RunEnding>>& endings) {
  std::size_t finished = 0;
  for (const auto& [id, ending] : endings) {
    try {
      finish(id, ending);
      ++finished;
    } catch (const std::logic_error&) {
      // not running: passed over
    }
  }
  return finished;
}

std::vector<std::optional<std::string>>
RunStore::finish_and_accept(const std::vector<std::pair<std::string, RunEnding>>& endings,
                            const std::vector<NewRun>& runs) {
  std::vector<std::optional<std::string>> ids;
  if (!runs.empty())
    ids = accept_all(runs);
  // Endings a run cannot have are passed over; the others are written.
  std::vector<std::pair<std::string, RunEnding>> valid;
  for (const auto& ending : endings)
    if (store_detail::can_end(ending.second))
      valid.push_back(ending);
  if (!valid.empty()) {
    try {
      finish_all(valid);
    } catch (const std::exception&) {
      // Disk full, store gone: the runs stay running in the store.
    }
  }
  return ids;
}

std::string iso_ms(SysMillis at) {
  return detail::utc_text(at, /*milliseconds=*/true);
}

std::string new_run_id() {
  // 48 bits of milliseconds, then 64 random bits: ids sort by acceptance time, and one
  // cannot be guessed from another (they appear in URLs of the API).
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  std::uint64_t random = 0;
  if (::getrandom(&random, sizeof random, 0) != sizeof random)
    throw std::runtime_error("getrandom failed: cannot make a run id");
  char text[32];
  std::snprintf(text, sizeof text, "%012llx%016llx",
                static_cast<unsigned long long>(ms) & 0xffffffffffffULL,
                static_cast<unsigned long long>(random));
  return text;
}

namespace store_detail {

std::int64_t unix_ms(SysMillis at) noexcept {
  return at.time_since_epoch().count();
}

std::int64_t now_unix_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SysMillis from_unix_ms(std::int64_t ms) noexcept {
  return SysMillis(std::chrono::milliseconds(ms));
}

bool can_end(const RunEnding& ending) noexcept {
  return is_final(ending.status) && ending.status != StoredRunStatus::skipped;
}

void check_ending(const RunEnding& ending) {
  if (!can_end(ending))
    throw std::logic_error("a run finishes as succeeded, failed, cancelled or interrupted");
}

std::string join_events(const std::vector<std::string>& events) {
  std::string lines;
  for (const std::string& event : events)
    lines.append(event).push_back('\n');
  return lines;
}

std::vector<std::string> split_events(std::string_view lines) {
  std::vector<std::string> events;
  for (std::size_t at = 0; at < lines.size();) {
    const std::size_t end = lines.find('\n', at);
    events.emplace_back(lines.substr(at, end - at));
    at = end == std::string_view::npos ? lines.size() : end + 1;
  }
  return events;
}

const std::string_view interrupted_error =
    "interrupted: the server stopped while it ran (crash, kill or power loss); nodes that had "
    "started may or may not have finished";

} // namespace store_detail

} // namespace sluice::service
