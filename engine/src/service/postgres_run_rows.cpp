// See postgres_run_rows.hpp. Times are Unix milliseconds, JSON columns read as text.

#include "postgres_run_rows.hpp"

namespace sluice::service {

using postgres::Result;
using store_detail::from_unix_ms;

const char* const run_columns =
    "id, sequence, pipeline, pipeline_hash, trigger, schedule, fire_time, inputs, status, "
    "outputs, nodes, error, cancel_requested, rerun_of, accepted_at, started_at, finished_at";

namespace {

std::optional<SysMillis> optional_time(const Result& rows, int row, int column) {
  if (rows.is_null(row, column))
    return std::nullopt;
  return from_unix_ms(rows.integer(row, column));
}

} // namespace

std::string text_of(const Result& rows, int row, int column) {
  return std::string(rows.text(row, column));
}

StoredRun read_run(const Result& rows, int row) {
  StoredRun run;
  run.id = text_of(rows, row, 0);
  run.sequence = rows.integer(row, 1);
  run.pipeline = text_of(rows, row, 2);
  run.pipeline_hash = text_of(rows, row, 3);
  run.trigger = text_of(rows, row, 4);
  if (!rows.is_null(row, 5))
    run.fire =
        ScheduleFire{text_of(rows, row, 5),
                     std::chrono::floor<std::chrono::seconds>(from_unix_ms(rows.integer(row, 6)))};
  run.inputs = Value::parse_json(rows.text(row, 7));
  run.status = stored_run_status_from(rows.text(row, 8)).value_or(StoredRunStatus::interrupted);
  run.outputs = Value::parse_json(rows.text(row, 9));
  run.nodes = Value::parse_json(rows.text(row, 10));
  run.error = text_of(rows, row, 11);
  run.cancel_requested = rows.flag(row, 12);
  run.rerun_of = text_of(rows, row, 13);
  run.accepted_at = from_unix_ms(rows.integer(row, 14));
  run.started_at = optional_time(rows, row, 15);
  run.finished_at = optional_time(rows, row, 16);
  return run;
}

std::vector<StoredRun> read_runs(const Result& rows) {
  std::vector<StoredRun> runs;
  runs.reserve(static_cast<std::size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row)
    runs.push_back(read_run(rows, row));
  return runs;
}

} // namespace sluice::service
