// Records a run's node events as spans and writes them as Chrome trace-event JSON, one row
// per node, so the run's timeline can be viewed in a trace viewer such as Perfetto.

#include <sluice/trace.hpp>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace sluice {

void TraceRecorder::on_event(const Event& event) {
  std::lock_guard lock(mutex_);
  if (!has_origin_) {
    origin_ = event.time;
    has_origin_ = true;
  }
  const auto same = [&](const Span& s) {
    return s.name == event.node_id && s.item == event.item_index;
  };
  switch (event.kind) {
  case EventKind::node_started:
    open_.push_back(Span{std::string(event.node_id),
                         event.item_index,
                         event.time,
                         event.time,
                         "running",
                         {},
                         event.attempt});
    return;
  case EventKind::node_succeeded:
  case EventKind::node_failed:
  case EventKind::node_retrying:
  case EventKind::node_cancelled:
  case EventKind::node_planned: {
    const std::string status = event.kind == EventKind::node_succeeded  ? "succeeded"
                               : event.kind == EventKind::node_failed   ? "failed"
                               : event.kind == EventKind::node_retrying ? "retrying"
                               : event.kind == EventKind::node_planned  ? "planned"
                                                                        : "cancelled";
    // A for_each node's final event carries no item index: it closes all of its spans.
    bool closed = false;
    for (auto it = open_.begin(); it != open_.end();) {
      if (same(*it) || (event.item_index < 0 && it->name == event.node_id)) {
        it->end = event.time;
        it->status = status;
        it->message = std::string(event.message);
        spans_.push_back(std::move(*it));
        it = open_.erase(it);
        closed = true;
      } else {
        ++it;
      }
    }
    if (!closed && event.kind != EventKind::node_retrying)
      spans_.push_back(Span{std::string(event.node_id), event.item_index, event.time, event.time,
                            status, std::string(event.message), event.attempt});
    return;
  }
  case EventKind::node_skipped:
    spans_.push_back(Span{std::string(event.node_id), event.item_index, event.time, event.time,
                          "skipped", std::string(event.message), 0});
    return;
  default:
    return;
  }
}

std::string TraceRecorder::to_json() const {
  std::lock_guard lock(mutex_);
  Array events;
  // One trace "thread" per node keeps parallel branches on separate rows.
  std::vector<std::string> rows;
  const auto row_of = [&](const std::string& name) {
    auto it = std::find(rows.begin(), rows.end(), name);
    if (it == rows.end()) {
      rows.push_back(name);
      return static_cast<std::int64_t>(rows.size());
    }
    return static_cast<std::int64_t>(it - rows.begin()) + 1;
  };
  const auto micros = [&](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t - origin_).count();
  };
  for (const Span& span : spans_) {
    Object args{{"status", span.status}, {"attempt", span.attempt}};
    if (span.item >= 0)
      args.emplace_back("item", span.item);
    if (!span.message.empty())
      args.emplace_back("message", span.message);
    std::string name = span.name;
    if (span.item >= 0)
      name.append("[").append(std::to_string(span.item)).append("]");
    events.push_back(Object{{"name", name},
                            {"cat", "node"},
                            {"ph", "X"},
                            {"ts", micros(span.begin)},
                            {"dur", micros(span.end) - micros(span.begin)},
                            {"pid", 1},
                            {"tid", row_of(span.name)},
                            {"args", Value(std::move(args))}});
  }
  for (std::size_t i = 0; i < rows.size(); ++i)
    events.push_back(Object{{"name", "thread_name"},
                            {"ph", "M"},
                            {"pid", 1},
                            {"tid", static_cast<std::int64_t>(i + 1)},
                            {"args", Object{{"name", rows[i]}}}});
  return Value(Object{{"traceEvents", Value(std::move(events))}, {"displayTimeUnit", "ms"}})
      .to_json();
}

void TraceRecorder::write(const std::filesystem::path& file) const {
  const std::string json = to_json();
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << json << '\n';
  if (!out)
    throw std::runtime_error("cannot write trace file '" + file.string() + "'");
}

} // namespace sluice
