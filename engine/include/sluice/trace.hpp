#pragma once
/// @file
/// A run observer that records node timings as a Chrome trace-event file (open it in
/// Perfetto or chrome://tracing).

#include <sluice/export.hpp>
#include <sluice/run.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sluice {

/// Collects events during a run; `write()` saves them as trace-event JSON. Thread-safe.
///
/// ```
/// auto trace = std::make_shared<sluice::TraceRecorder>();
/// options.observers.push_back(trace);
/// engine.run(pipeline, options);
/// trace->write("run.trace.json");
/// ```
class SLUICE_API TraceRecorder final : public RunObserver {
public:
  void on_event(const Event& event) override;
  /// The trace as JSON text (`{"traceEvents": [...]}`), timestamps in microseconds.
  std::string to_json() const;
  /// Writes `to_json()` to `file`; throws std::runtime_error when it cannot.
  void write(const std::filesystem::path& file) const;

private:
  struct Span {
    std::string name;
    std::int64_t item;
    Clock::time_point begin;
    Clock::time_point end;
    std::string status;
    std::string message;
    std::uint32_t attempt;
  };
  mutable std::mutex mutex_;
  Clock::time_point origin_{};
  bool has_origin_ = false;
  std::vector<Span> spans_;
  // Open spans by (node, item), closed by the matching finish event.
  std::vector<Span> open_;
};

} // namespace sluice
