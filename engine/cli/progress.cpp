// Turns run events into progress output: a line per finished node, failure, retry and log
// message, plus a status line redrawn in place on a terminal (start lines elsewhere).

#include "progress.hpp"

#include <sluice/encoding.hpp>

#include <fmt/format.h>

#include <ostream>

namespace sluice::cli {

ProgressDisplay::ProgressDisplay(std::ostream& out, bool terminal, std::size_t node_count)
    : out_(out), terminal_(terminal), node_count_(node_count) {
}

double ProgressDisplay::seconds_since_start(Clock::time_point t) const {
  return std::chrono::duration<double>(t - start_).count();
}

void ProgressDisplay::print_line(const std::string& line) {
  if (terminal_ && status_shown_)
    out_ << "\r\033[K";
  // Messages and logs may carry text from outside (a server's answer, a setting): escaped, so
  // no control byte reaches the terminal.
  out_ << printable(line) << '\n';
  status_shown_ = false;
}

void ProgressDisplay::redraw() {
  if (!terminal_)
    return;
  std::string running;
  for (const std::string& id : running_) {
    if (running.size() > 60) {
      running += ", ...";
      break;
    }
    running += (running.empty() ? "" : ", ") + id;
  }
  out_ << "\r\033[K" << fmt::format("[{}/{}] running: {}", finished_, node_count_, running)
       << std::flush;
  status_shown_ = true;
}

void ProgressDisplay::on_event(const Event& event) {
  std::lock_guard lock(mutex_);
  const double at = seconds_since_start(event.time);
  std::string key(event.node_id);
  if (event.item_index >= 0)
    key += fmt::format("[{}]", event.item_index);
  switch (event.kind) {
  case EventKind::node_started:
    running_.insert(key);
    if (!terminal_)
      print_line(fmt::format("[{:7.3f}s] start   {}", at, key));
    break;
  case EventKind::node_succeeded:
    running_.erase(key);
    finished_ += event.item_index < 0;
    print_line(fmt::format("[{:7.3f}s] done    {}", at, key));
    break;
  case EventKind::node_failed:
    running_.erase(key);
    finished_ += event.item_index < 0;
    print_line(fmt::format("[{:7.3f}s] FAILED  {}: {}", at, key, event.message));
    break;
  case EventKind::node_retrying:
    running_.erase(key);
    print_line(fmt::format("[{:7.3f}s] retry   {} (attempt {} failed: {})", at, key, event.attempt,
                           event.message));
    break;
  case EventKind::node_skipped:
    ++finished_;
    print_line(fmt::format("[{:7.3f}s] skipped {}: {}", at, key, event.message));
    break;
  case EventKind::node_planned:
    running_.erase(key);
    ++finished_;
    print_line(fmt::format("[{:7.3f}s] planned {}: {}", at, key, event.message));
    break;
  case EventKind::node_cancelled:
    running_.erase(key);
    ++finished_;
    print_line(fmt::format("[{:7.3f}s] cancel  {}: {}", at, key, event.message));
    break;
  case EventKind::log:
    print_line(
        fmt::format("[{:7.3f}s] {:<7} {}: {}", at, to_string(event.level), key, event.message));
    break;
  case EventKind::run_started:
  case EventKind::run_finished:
    return;
  }
  redraw();
}

void ProgressDisplay::close() {
  std::lock_guard lock(mutex_);
  if (terminal_ && status_shown_)
    out_ << "\r\033[K" << std::flush;
  status_shown_ = false;
}

} // namespace sluice::cli
