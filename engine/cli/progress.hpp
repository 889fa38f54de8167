#pragma once
// Live progress on stderr: a status line redrawn in place on a terminal, plain lines
// otherwise (logs, CI).

#include <sluice/run.hpp>

#include <iosfwd>
#include <mutex>
#include <set>
#include <string>

namespace sluice::cli {

class ProgressDisplay final : public RunObserver {
public:
  ProgressDisplay(std::ostream& out, bool terminal, std::size_t node_count);
  void on_event(const Event& event) override;
  /// Clears the status line (terminal mode).
  void close();

private:
  void print_line(const std::string& line);
  void redraw();
  double seconds_since_start(Clock::time_point t) const;

  std::mutex mutex_;
  std::ostream& out_;
  const bool terminal_;
  const std::size_t node_count_;
  std::size_t finished_ = 0;
  std::set<std::string> running_;
  Clock::time_point start_ = Clock::now();
  bool status_shown_ = false;
};

} // namespace sluice::cli
