#pragma once
// Owns the counters `GET /metrics` shows, in Prometheus' text format: runs by pipeline and
// status, node durations as histograms, HTTP answers by status, and (from the dispatcher, at
// each scrape) runs going and waiting. Counters start at zero with each server process, as
// Prometheus expects of counters.

#include "run_store.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace sluice::service {

class Metrics {
public:
  /// A run was accepted (queued or started).
  void run_accepted(std::string_view pipeline);
  /// A run ended (or was skipped) with `status`; `nodes` are its per-node results
  /// (node_results_json), whose `duration_ms` go into the node histograms.
  void run_ended(std::string_view pipeline, StoredRunStatus status, const Value& nodes);
  /// The HTTP server answered a request with `status`.
  void answered(int status);

  struct Gauges {
    std::size_t running = 0;
    std::size_t queued = 0;
  };
  /// Everything, in the text exposition format (version 0.0.4).
  std::string render(const Gauges& gauges) const;

  /// Upper bounds of the node duration buckets, in seconds (+Inf follows).
  static constexpr std::array<double, 14> bucket_bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                        1,     2.5,  5,     10,   30,  60,   300};

private:
  struct Histogram {
    std::array<std::uint64_t, bucket_bounds.size()> buckets{}; ///< not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t, std::less<>> accepted_;
  std::map<std::pair<std::string, StoredRunStatus>, std::uint64_t> ended_;
  std::map<std::pair<std::string, std::string>, Histogram> nodes_;
  std::map<int, std::uint64_t> answers_;
};

/// `text` as a Prometheus label value: backslash, double quote and newline escaped.
std::string label_value(std::string_view text);

} // namespace sluice::service
