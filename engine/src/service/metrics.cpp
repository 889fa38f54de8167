// Prometheus' text format: a HELP and TYPE line per family, then one line per series;
// histograms as cumulative `_bucket{le=...}` series with `_sum` and `_count`.

#include "metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace sluice::service {

namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string bound(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

} // namespace

std::string label_value(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\' || c == '"')
      out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void Metrics::run_accepted(std::string_view pipeline) {
  std::lock_guard lock(mutex_);
  auto found = accepted_.find(pipeline);
  if (found == accepted_.end())
    found = accepted_.emplace(std::string(pipeline), 0).first;
  ++found->second;
}

void Metrics::run_ended(std::string_view pipeline, StoredRunStatus status, const Value& nodes) {
  std::lock_guard lock(mutex_);
  ++ended_[{std::string(pipeline), status}];
  if (!nodes.is_array())
    return;
  for (const Value& node : nodes.as_array()) {
    const Value* id = node.find("id");
    const Value* ms = node.find("duration_ms");
    if (!id || !id->is_string() || !ms || !ms->is_number())
      continue;
    const double seconds = ms->as_double() / 1000.0;
    Histogram& histogram = nodes_[std::pair(std::string(pipeline), std::string(id->as_string()))];
    const auto slot = std::lower_bound(bucket_bounds.begin(), bucket_bounds.end(), seconds) -
                      bucket_bounds.begin();
    if (slot < static_cast<std::ptrdiff_t>(bucket_bounds.size()))
      ++histogram.buckets[static_cast<std::size_t>(slot)];
    ++histogram.count;
    histogram.sum += seconds;
  }
}

void Metrics::answered(int status) {
  std::lock_guard lock(mutex_);
  ++answers_[status];
}

std::string Metrics::render(const Gauges& gauges) const {
  std::lock_guard lock(mutex_);
  std::string out;
  family(out, "sluice_runs_accepted_total", "counter", "Runs accepted, by pipeline.");
  for (const auto& [pipeline, count] : accepted_)
    out += "sluice_runs_accepted_total{pipeline=\"" + label_value(pipeline) + "\"} " +
           std::to_string(count) + "\n";
  family(out, "sluice_runs_total", "counter",
         "Runs that ended (or were skipped), by pipeline and status.");
  for (const auto& [key, count] : ended_)
    out += "sluice_runs_total{pipeline=\"" + label_value(key.first) + "\",status=\"" +
           std::string(to_string(key.second)) + "\"} " + std::to_string(count) + "\n";
  family(out, "sluice_runs_running", "gauge",
         "Runs going now (with a shared store: on every machine).");
  out += "sluice_runs_running " + std::to_string(gauges.running) + "\n";
  family(out, "sluice_runs_queued", "gauge",
         "Runs accepted and waiting to start (with a shared store: on every machine).");
  out += "sluice_runs_queued " + std::to_string(gauges.queued) + "\n";
  family(out, "sluice_node_duration_seconds", "histogram",
         "How long nodes of finished runs took, by pipeline and node.");
  for (const auto& [key, histogram] : nodes_) {
    const std::string labels =
        "pipeline=\"" + label_value(key.first) + "\",node=\"" + label_value(key.second) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
      cumulative += histogram.buckets[i];
      out += "sluice_node_duration_seconds_bucket{" + labels + ",le=\"" + bound(bucket_bounds[i]) +
             "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "sluice_node_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(histogram.count) + "\n";
    out += "sluice_node_duration_seconds_sum{" + labels + "} " + number(histogram.sum) + "\n";
    out += "sluice_node_duration_seconds_count{" + labels + "} " + std::to_string(histogram.count) +
           "\n";
  }
  family(out, "sluice_http_requests_total", "counter", "HTTP requests answered, by status.");
  for (const auto& [status, count] : answers_)
    out += "sluice_http_requests_total{code=\"" + std::to_string(status) + "\"} " +
           std::to_string(count) + "\n";
  return out;
}

} // namespace sluice::service
