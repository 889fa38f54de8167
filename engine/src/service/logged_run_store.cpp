// The accept log in front of the embedded store (logged_run_store.hpp). Two locks: `log_mutex_`
// is held for an append (one write(2)) and for handing what was logged over, never across a
// store call, so accepting and ending never wait for the store; `write_mutex_` keeps the
// store's writes in the log's order.

#include "logged_run_store.hpp"

#include <chrono>
#include <cstdint>
#include <iterator>
#include <stdexcept>

namespace sluice::service {

namespace {

/// A segment this large is retired at the next write into the store (then deleted): the log
/// stays small under any load, and a restart has little to replay.
constexpr std::uint64_t rotate_at = 1u << 20;

// A record's first byte: what it is (and the version of its layout).
constexpr unsigned char run_record = 1;
constexpr unsigned char ending_record_kind = 2;

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>(value >> (8 * i)));
}

void put_text(std::string& out, std::string_view text) {
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

// Every record starts so: its kind, a run status, a time (0: none).
void put_start(std::string& out, unsigned char kind, StoredRunStatus status,
               const std::optional<SysMillis>& at) {
  out.push_back(static_cast<char>(kind));
  out.push_back(static_cast<char>(status));
  const std::int64_t ms = at ? store_detail::unix_ms(*at) : 0;
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>(static_cast<std::uint64_t>(ms) >> (8 * i)));
}

std::optional<SysMillis> time_from(std::uint64_t ms) {
  if (ms == 0)
    return std::nullopt;
  return store_detail::from_unix_ms(static_cast<std::int64_t>(ms));
}

class RecordReader {
public:
  /// Reads the start of a record of `kind` (put_start): status() and time() hold it.
  RecordReader(std::string_view record, unsigned char kind) : rest_(record) {
    if (number(1) != kind)
      throw std::runtime_error("an accept log record of another kind or version of Sluice");
    const auto status = number(1);
    if (status > static_cast<std::uint64_t>(StoredRunStatus::skipped))
      throw std::runtime_error("an accept log record with an unknown status");
    status_ = static_cast<StoredRunStatus>(status);
    time_ = time_from(number(8));
  }
  StoredRunStatus status() const noexcept { return status_; }
  std::optional<SysMillis> time() const noexcept { return time_; }
  std::uint64_t number(int bytes) {
    need(static_cast<std::size_t>(bytes));
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i)
      value |= std::uint64_t(static_cast<unsigned char>(rest_[static_cast<std::size_t>(i)]))
               << (8 * i);
    rest_.remove_prefix(static_cast<std::size_t>(bytes));
    return value;
  }
  std::string text() {
    const auto size = static_cast<std::size_t>(number(4));
    need(size);
    std::string value(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return value;
  }
  /// What a record starts with: run_record or ending_record_kind.
  static unsigned char kind(std::string_view record) {
    return record.empty() ? 0 : static_cast<unsigned char>(record[0]);
  }
  bool done() const noexcept { return rest_.empty(); }

private:
  void need(std::size_t size) const {
    if (rest_.size() < size)
      throw std::runtime_error("an accept log record is cut short");
  }
  std::string_view rest_;
  StoredRunStatus status_ = StoredRunStatus::queued;
  std::optional<SysMillis> time_;
};

} // namespace

std::string accept_record(const NewRun& run) {
  std::string out;
  const std::string inputs = run.inputs.to_json();
  out.reserve(64 + run.id.size() + run.pipeline.size() + run.pipeline_hash.size() +
              run.trigger.size() + inputs.size() + run.message.size() + run.rerun_of.size());
  put_start(out, run_record, run.status, run.accepted_at);
  put_text(out, run.id);
  put_text(out, run.pipeline);
  put_text(out, run.pipeline_hash);
  put_text(out, run.trigger);
  put_text(out, inputs);
  put_text(out, run.message);
  put_text(out, run.rerun_of);
  return out;
}

NewRun run_from_accept_record(std::string_view record) {
  RecordReader reader(record, run_record);
  NewRun run;
  run.status = reader.status();
  run.accepted_at = reader.time();
  run.id = reader.text();
  run.pipeline = reader.text();
  run.pipeline_hash = reader.text();
  run.trigger = reader.text();
  run.inputs = Value::parse_json(reader.text());
  run.message = reader.text();
  run.rerun_of = reader.text();
  if (!reader.done() || run.id.empty())
    throw std::runtime_error("an accept log record that is not a run");
  return run;
}

std::string ending_record(std::string_view id, const RunEnding& ending) {
  std::string out;
  const std::string outputs = ending.outputs.to_json();
  const std::string nodes = ending.nodes.to_json();
  std::size_t size = 64 + id.size() + outputs.size() + nodes.size() + ending.error.size();
  for (const std::string& event : ending.events)
    size += 4 + event.size();
  out.reserve(size);
  put_start(out, ending_record_kind, ending.status, ending.ended_at);
  put_text(out, id);
  put_text(out, outputs);
  put_text(out, nodes);
  put_text(out, ending.error);
  put_u32(out, static_cast<std::uint32_t>(ending.events.size()));
  for (const std::string& event : ending.events)
    put_text(out, event);
  return out;
}

std::pair<std::string, RunEnding> ending_from_record(std::string_view record) {
  RecordReader reader(record, ending_record_kind);
  RunEnding ending;
  ending.status = reader.status();
  ending.ended_at = reader.time();
  std::string id = reader.text();
  ending.outputs = Value::parse_json(reader.text());
  ending.nodes = Value::parse_json(reader.text());
  ending.error = reader.text();
  const auto events = reader.number(4);
  for (std::uint64_t i = 0; i < events; ++i)
    ending.events.push_back(reader.text());
  if (!reader.done() || id.empty() || !store_detail::can_end(ending))
    throw std::runtime_error("an accept log record that is not a run's ending");
  return {std::move(id), std::move(ending)};
}

std::size_t replay_accept_log(RunStore& store, AcceptLog& log) {
  std::vector<NewRun> missing;
  std::vector<std::pair<std::string, RunEnding>> endings;
  for (const std::string& record : log.found_records()) {
    try {
      if (RecordReader::kind(record) == ending_record_kind) {
        endings.push_back(ending_from_record(record));
        continue;
      }
      NewRun run = run_from_accept_record(record);
      // Written into the store before the process stopped, its segment not yet deleted.
      if (!store.find(run.id))
        missing.push_back(std::move(run));
    } catch (const std::exception& e) {
      throw std::runtime_error("the accept log in " + log.folder().string() +
                               " holds a record Sluice cannot read (" + e.what() +
                               "); move the folder out of the way to start without its runs");
    }
  }
  // Runs first, then endings (each follows its run in the log); endings of runs that are no
  // longer running in the store (written before the stop) are passed over.
  if (!missing.empty())
    (void)store.finish_and_accept(endings, missing); // synced; throws when not written
  else if (!endings.empty())
    (void)store.finish_all(endings); // throws when not written
  log.forget_retired();
  return missing.size();
}

LoggedRunStore::LoggedRunStore(std::unique_ptr<RunStore> store, std::unique_ptr<AcceptLog> log,
                               bool log_runs)
    : store_(std::move(store)), log_(std::move(log)), log_runs_(log_runs) {
  replay_accept_log(*store_, *log_);
}

LoggedRunStore::~LoggedRunStore() {
  try {
    write_logged();
    std::lock_guard lock(log_mutex_);
    if (logged_runs_.empty() && logged_endings_.empty()) { // all in the store: no segment needed
      log_->rotate();
      log_->forget_retired();
    }
  } catch (...) {
    // The segments stay; the next open writes their runs into the store.
  }
}

std::vector<std::optional<std::string>>
LoggedRunStore::write(const std::vector<std::pair<std::string, RunEnding>>& endings,
                      const std::vector<NewRun>& runs) {
  std::lock_guard write_lock(write_mutex_);
  std::vector<NewRun> batch;
  std::vector<std::pair<std::string, RunEnding>> ended;
  bool retired = false;
  {
    std::lock_guard lock(log_mutex_);
    batch.swap(logged_runs_);
    ended.swap(logged_endings_);
    // Every record of the segment retired here is in this write or in the store already.
    if (log_->current_size() >= rotate_at) {
      try {
        log_->rotate();
        retired = true;
      } catch (const std::exception&) {
        // No new segment (disk full): appends go on into this one.
      }
    }
  }
  const std::size_t logged_runs = batch.size();
  const std::size_t logged_endings = ended.size();
  batch.insert(batch.end(), runs.begin(), runs.end());
  ended.insert(ended.end(), endings.begin(), endings.end());
  std::vector<std::optional<std::string>> ids;
  try {
    // Synced when the records of a retired segment are in it (the segment goes after it), or
    // when runs are accepted here rather than logged; else they are as safe as in the log.
    ids = retired || !runs.empty() ? store_->finish_and_accept(ended, batch)
                                   : store_->finish_and_accept_unsynced(ended, batch);
  } catch (...) {
    // Still logged: they go with the next write (and are replayed from the log after a crash).
    std::lock_guard lock(log_mutex_);
    logged_runs_.insert(
        logged_runs_.begin(), std::make_move_iterator(batch.begin()),
        std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(logged_runs)));
    logged_endings_.insert(
        logged_endings_.begin(), std::make_move_iterator(ended.begin()),
        std::make_move_iterator(ended.begin() + static_cast<std::ptrdiff_t>(logged_endings)));
    throw;
  }
  if (retired) {
    std::lock_guard lock(log_mutex_);
    try {
      log_->forget_retired();
    } catch (const std::exception&) {
      // Tried again at the next rotation; a replay passes over runs the store has.
    }
  }
  return {std::make_move_iterator(ids.begin() + static_cast<std::ptrdiff_t>(logged_runs)),
          std::make_move_iterator(ids.end())};
}

std::optional<std::string> LoggedRunStore::accept(const NewRun& run) {
  // A schedule's fire is accepted once: the store's tables decide, in a synced write.
  if (!log_runs_ || run.fire)
    return write({}, {run}).at(0);
  NewRun logged = run;
  logged.id = new_run_id();
  if (!logged.accepted_at)
    logged.accepted_at =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  const std::string record = accept_record(logged);
  std::string id = logged.id;
  std::lock_guard lock(log_mutex_);
  log_->append(record);
  logged_runs_.push_back(std::move(logged));
  return id;
}

std::vector<std::optional<std::string>>
LoggedRunStore::accept_all(const std::vector<NewRun>& runs) {
  return write({}, runs);
}

bool LoggedRunStore::start(std::string_view id) {
  write_logged();
  return store_->start(id);
}

void LoggedRunStore::finish(std::string_view id, const RunEnding& ending) {
  write_logged();
  store_->finish(id, ending);
}

std::size_t
LoggedRunStore::finish_all(const std::vector<std::pair<std::string, RunEnding>>& endings) {
  write_logged();
  return store_->finish_all(endings);
}

std::vector<std::optional<std::string>>
LoggedRunStore::finish_and_accept(const std::vector<std::pair<std::string, RunEnding>>& endings,
                                  const std::vector<NewRun>& runs) {
  if (!log_runs_ || !runs.empty())
    return write(endings, runs);
  // Endings alone (RunWriter's): logged, and written with the next write. Endings a run
  // cannot have are passed over, as the store would.
  std::vector<std::string> records;
  records.reserve(endings.size());
  for (const auto& [id, ending] : endings)
    records.push_back(store_detail::can_end(ending) ? ending_record(id, ending) : std::string());
  std::lock_guard lock(log_mutex_);
  for (std::size_t i = 0; i < endings.size(); ++i)
    if (!records[i].empty()) {
      log_->append(records[i]);
      logged_endings_.push_back(endings[i]);
    }
  return {};
}

std::optional<StoredRunStatus> LoggedRunStore::cancel(std::string_view id) {
  write_logged();
  return store_->cancel(id);
}

std::optional<StoredRun> LoggedRunStore::find(std::string_view id) {
  write_logged();
  return store_->find(id);
}

std::vector<std::string> LoggedRunStore::events(std::string_view id) {
  write_logged();
  return store_->events(id);
}

RunPage LoggedRunStore::list(const RunQuery& query) {
  write_logged();
  return store_->list(query);
}

std::vector<StoredRun> LoggedRunStore::queued() {
  write_logged();
  return store_->queued();
}

std::vector<StoredRun> LoggedRunStore::recover() {
  write_logged();
  return store_->recover();
}

std::optional<SysSeconds> LoggedRunStore::last_fire(std::string_view schedule) {
  return store_->last_fire(schedule); // fires are never logged
}

void LoggedRunStore::note_schedule(std::string_view schedule, SysSeconds at) {
  store_->note_schedule(schedule, at);
}

bool LoggedRunStore::first_delivery(std::string_view id, SysMillis forget_after) {
  return store_->first_delivery(id, forget_after);
}

bool LoggedRunStore::add_token(std::string_view name, std::string_view digest) {
  return store_->add_token(name, digest);
}

std::optional<std::string> LoggedRunStore::token_name(std::string_view digest) {
  return store_->token_name(digest);
}

std::vector<std::string> LoggedRunStore::token_names() {
  return store_->token_names();
}

bool LoggedRunStore::remove_token(std::string_view name) {
  return store_->remove_token(name);
}

std::size_t LoggedRunStore::prune(std::optional<std::size_t> keep_runs,
                                  std::optional<SysMillis> finished_before) {
  write_logged();
  return store_->prune(keep_runs, finished_before);
}

} // namespace sluice::service
