// Runs as rows of one SQLCipher file. Every change is one BEGIN IMMEDIATE transaction; with
// WAL and synchronous = FULL (store_file.cpp) a commit is on disk when it returns, which is
// what "accepted" means.
//
// Writes inside a transaction say OR ROLLBACK (or OR IGNORE): a constraint that fails ends the
// whole transaction, which is what the callers do with any error anyway. Without it SQLite
// keeps a statement journal for every UPDATE and for inserts that may replace, so that it can
// undo one statement alone, and SQLCipher encrypts each page that goes into that journal:
// two pages encrypted for every page written, half of the store's time (sluice_store_bench).

#include "sqlcipher_run_store.hpp"

#include "accept_log.hpp"
#include "logged_run_store.hpp"

#include "../credentials/database.hpp"
#include "../credentials/schema_migrations.hpp"
#include "../credentials/store_open.hpp"

#include <sluice/credentials.hpp>

#include <array>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace sluice::service {

namespace {

using credentials::Database;
using credentials::Statement;
using credentials::WriteTransaction;

// Index i takes the schema from version i to i + 1. Append only: released files exist.
// Times are Unix milliseconds; inputs, outputs and nodes are JSON. (schedule, fire_time) is
// unique, so a schedule time is accepted once however often it is offered; NULLs (runs not
// started by a schedule) never collide.
constexpr std::array<const char*, 5> migrations{{
    "CREATE TABLE runs ("
    "  sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  pipeline TEXT NOT NULL,"
    "  pipeline_hash TEXT NOT NULL,"
    "  trigger TEXT NOT NULL,"
    "  schedule TEXT,"
    "  fire_time INTEGER,"
    "  inputs TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  outputs TEXT NOT NULL DEFAULT 'null',"
    "  nodes TEXT NOT NULL DEFAULT '[]',"
    "  error TEXT NOT NULL DEFAULT '',"
    "  cancel_requested INTEGER NOT NULL DEFAULT 0,"
    "  rerun_of TEXT NOT NULL DEFAULT '',"
    "  accepted_at INTEGER NOT NULL,"
    "  started_at INTEGER,"
    "  finished_at INTEGER,"
    "  UNIQUE (schedule, fire_time)"
    ");"
    "CREATE INDEX runs_by_pipeline ON runs(pipeline, sequence);"
    "CREATE INDEX runs_by_status ON runs(status, sequence);"
    "CREATE TABLE schedule_marks ("
    "  schedule TEXT PRIMARY KEY NOT NULL,"
    "  last_fire INTEGER NOT NULL"
    ");",
    // 1 -> 2: API tokens, as SHA-256 digests (a token is shown once, when it is created).
    "CREATE TABLE api_tokens ("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  digest TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL"
    ");",
    // 2 -> 3: webhook deliveries seen, by signature, kept while a replay would still pass the
    // timestamp check.
    "CREATE TABLE webhook_deliveries ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  forget_after INTEGER NOT NULL"
    ");",
    // 3 -> 4: a finished run's events, one JSON object per line, apart from the runs table
    // so that listing runs never reads them.
    "CREATE TABLE run_events ("
    "  run_id TEXT PRIMARY KEY NOT NULL,"
    "  events TEXT NOT NULL"
    ");",
    // 4 -> 5: fewer B-trees written per run, each a page rewritten per transaction (a 1 KiB
    // SQLCipher page costs about 10 us to write): no AUTOINCREMENT (its counter is a table of
    // its own; prune() never deletes the newest run, so a sequence is never reused), the
    // (schedule, fire_time) key only over runs that have one, and events keyed by the run's
    // sequence instead of by a text key with an index of its own. `runs` is rebuilt with the
    // same columns; events move to a new table, and `run_events` stays (emptied): a server of
    // an earlier version may still be running on this file when a newer `sluice` opens it
    // (the binary replaced under it), and it goes on writing its runs' events there, where
    // events() still finds them.
    "CREATE TABLE runs_v5 ("
    "  sequence INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  pipeline TEXT NOT NULL,"
    "  pipeline_hash TEXT NOT NULL,"
    "  trigger TEXT NOT NULL,"
    "  schedule TEXT,"
    "  fire_time INTEGER,"
    "  inputs TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  outputs TEXT NOT NULL DEFAULT 'null',"
    "  nodes TEXT NOT NULL DEFAULT '[]',"
    "  error TEXT NOT NULL DEFAULT '',"
    "  cancel_requested INTEGER NOT NULL DEFAULT 0,"
    "  rerun_of TEXT NOT NULL DEFAULT '',"
    "  accepted_at INTEGER NOT NULL,"
    "  started_at INTEGER,"
    "  finished_at INTEGER"
    ");"
    "INSERT INTO runs_v5 SELECT sequence, id, pipeline, pipeline_hash, trigger, schedule, "
    "  fire_time, inputs, status, outputs, nodes, error, cancel_requested, rerun_of, "
    "  accepted_at, started_at, finished_at FROM runs ORDER BY sequence;"
    "CREATE TABLE run_event_lines ("
    "  run_sequence INTEGER PRIMARY KEY,"
    "  events TEXT NOT NULL"
    ");"
    "INSERT INTO run_event_lines SELECT runs.sequence, run_events.events "
    "  FROM run_events JOIN runs ON runs.id = run_events.run_id ORDER BY runs.sequence;"
    "DELETE FROM run_events;"
    "DROP TABLE runs;"
    "ALTER TABLE runs_v5 RENAME TO runs;"
    "CREATE INDEX runs_by_pipeline ON runs(pipeline, sequence);"
    "CREATE INDEX runs_by_status ON runs(status, sequence);"
    "CREATE UNIQUE INDEX runs_by_fire ON runs(schedule, fire_time) WHERE schedule IS NOT NULL;",
}};

void migrate_runs(Database& database) {
  credentials::apply_migrations(database, migrations, static_cast<int>(migrations.size()),
                                "run store");
}

const credentials::StoreFileKind run_store_file = {
    "run store",
    "move it away (its run history is lost; connections are not)",
    "SLUICE_RUNS_KEY",
    "SLUICE_RUNS_KEY_FILE",
    "--runs or SLUICE_RUNS",
    &migrate_runs,
    /*check_pages_on_open=*/false};

constexpr const char* columns =
    "id, sequence, pipeline, pipeline_hash, trigger, schedule, fire_time, inputs, status, "
    "outputs, nodes, error, cancel_requested, rerun_of, accepted_at, started_at, finished_at";

std::int64_t now_ms() {
  return store_detail::now_unix_ms();
}

std::optional<SysMillis> optional_time(const Statement& row, int column) {
  if (row.is_null(column))
    return std::nullopt;
  return SysMillis(std::chrono::milliseconds(row.integer(column)));
}

StoredRun read_run(const Statement& row) {
  StoredRun run;
  run.id = row.text(0);
  run.sequence = row.integer(1);
  run.pipeline = row.text(2);
  run.pipeline_hash = row.text(3);
  run.trigger = row.text(4);
  if (!row.is_null(5))
    run.fire =
        ScheduleFire{row.text(5), SysSeconds(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::milliseconds(row.integer(6))))};
  run.inputs = Value::parse_json(row.text(7));
  run.status = stored_run_status_from(row.text(8)).value_or(StoredRunStatus::interrupted);
  run.outputs = Value::parse_json(row.text(9));
  run.nodes = Value::parse_json(row.text(10));
  run.error = row.text(11);
  run.cancel_requested = row.integer(12) != 0;
  run.rerun_of = row.text(13);
  run.accepted_at = SysMillis(std::chrono::milliseconds(row.integer(14)));
  run.started_at = optional_time(row, 15);
  run.finished_at = optional_time(row, 16);
  return run;
}

std::int64_t fire_ms(const ScheduleFire& fire) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(fire.at.time_since_epoch()).count();
}

// Commits while it lives are written to the WAL but not synced (synchronous = NORMAL). Used
// for endings: a lost ending reads as interrupted after a power cut, which is true to anyone
// reading, and the next synced commit (WAL frames are written in order) takes it to disk too.
// One sync per run instead of two.
class UnsyncedCommits {
public:
  explicit UnsyncedCommits(Database& database) : database_(database) {
    database_.exec("PRAGMA synchronous = NORMAL");
  }
  ~UnsyncedCommits() {
    try {
      database_.exec("PRAGMA synchronous = FULL");
    } catch (...) {
      // Setting a pragma does not touch the file; nothing to do if it failed anyway.
    }
  }
  UnsyncedCommits(const UnsyncedCommits&) = delete;
  UnsyncedCommits& operator=(const UnsyncedCommits&) = delete;

private:
  Database& database_;
};

class SqlCipherRunStore final : public RunStore {
public:
  explicit SqlCipherRunStore(std::unique_ptr<Database> database) : database_(std::move(database)) {}

  std::optional<std::string> accept(const NewRun& run) override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    std::optional<std::string> id = insert_locked(run);
    transaction.commit();
    return id;
  }

  std::vector<std::optional<std::string>> accept_all(const std::vector<NewRun>& runs) override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    std::vector<std::optional<std::string>> ids;
    ids.reserve(runs.size());
    for (const NewRun& run : runs)
      ids.push_back(insert_locked(run));
    transaction.commit();
    return ids;
  }

  // In a write transaction: the run's row (and its schedule's mark), or nullopt for a
  // schedule time accepted before.
  std::optional<std::string> insert_locked(const NewRun& run) {
    if (run.fire) {
      Statement seen(*database_, "SELECT 1 FROM runs WHERE schedule = ?1 AND fire_time = ?2");
      seen.bind(1, run.fire->schedule).bind(2, fire_ms(*run.fire));
      if (seen.step())
        return std::nullopt;
    }
    const std::string id = run.id.empty() ? new_run_id() : run.id;
    const bool skipped = run.status == StoredRunStatus::skipped;
    const bool running = run.status == StoredRunStatus::running;
    Statement insert(
        *database_,
        "INSERT OR ROLLBACK INTO runs (id, pipeline, pipeline_hash, trigger, schedule, fire_time, "
        "inputs, status, error, rerun_of, accepted_at, finished_at, started_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    const std::int64_t now =
        run.accepted_at ? run.accepted_at->time_since_epoch().count() : now_ms();
    insert.bind(1, id).bind(2, run.pipeline).bind(3, run.pipeline_hash).bind(4, run.trigger);
    if (run.fire)
      insert.bind(5, run.fire->schedule).bind(6, fire_ms(*run.fire));
    else
      insert.bind_null(5).bind_null(6);
    insert.bind(7, run.inputs.to_json())
        .bind(8, to_string(skipped   ? StoredRunStatus::skipped
                           : running ? StoredRunStatus::running
                                     : StoredRunStatus::queued))
        .bind(9, run.message)
        .bind(10, run.rerun_of)
        .bind(11, now);
    if (skipped)
      insert.bind(12, now);
    else
      insert.bind_null(12);
    if (running)
      insert.bind(13, now);
    else
      insert.bind_null(13);
    insert.run();
    if (run.fire) {
      // The SQLite inside Debian's SQLCipher predates UPSERT: insert, then raise.
      Statement mark(*database_,
                     "INSERT OR IGNORE INTO schedule_marks (schedule, last_fire) VALUES (?1, ?2)");
      mark.bind(1, run.fire->schedule).bind(2, fire_ms(*run.fire)).run();
      Statement raise(*database_, "UPDATE OR ROLLBACK schedule_marks SET last_fire = ?2 "
                                  "WHERE schedule = ?1 AND last_fire < ?2");
      raise.bind(1, run.fire->schedule).bind(2, fire_ms(*run.fire)).run();
    }
    return id;
  }

  bool start(std::string_view id) override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    Statement update(*database_, "UPDATE OR ROLLBACK runs SET status = 'running', started_at = ?1 "
                                 "WHERE id = ?2 AND status = 'queued'");
    update.bind(1, now_ms()).bind(2, id).run();
    const bool started = database_->changes() == 1;
    transaction.commit();
    return started;
  }

  void finish(std::string_view id, const RunEnding& ending) override {
    store_detail::check_ending(ending);
    std::lock_guard lock(mutex_);
    const UnsyncedCommits unsynced(*database_);
    WriteTransaction transaction(*database_);
    if (!update_locked(id, ending))
      throw std::logic_error("run " + std::string(id) + " is not running");
    transaction.commit();
  }

  std::size_t finish_all(const std::vector<std::pair<std::string, RunEnding>>& endings) override {
    for (const auto& [id, ending] : endings)
      store_detail::check_ending(ending);
    std::lock_guard lock(mutex_);
    const UnsyncedCommits unsynced(*database_);
    WriteTransaction transaction(*database_);
    std::size_t finished = 0;
    for (const auto& [id, ending] : endings)
      finished += update_locked(id, ending) ? 1 : 0;
    transaction.commit();
    return finished;
  }

  std::vector<std::optional<std::string>>
  finish_and_accept(const std::vector<std::pair<std::string, RunEnding>>& endings,
                    const std::vector<NewRun>& runs) override {
    // Synced when it accepts runs; endings alone are not.
    return write(endings, runs, /*synced=*/!runs.empty());
  }

  std::vector<std::optional<std::string>>
  finish_and_accept_unsynced(const std::vector<std::pair<std::string, RunEnding>>& endings,
                             const std::vector<NewRun>& runs) override {
    return write(endings, runs, /*synced=*/false);
  }

  std::vector<std::optional<std::string>>
  write(const std::vector<std::pair<std::string, RunEnding>>& endings,
        const std::vector<NewRun>& runs, bool synced) {
    if (endings.empty() && runs.empty())
      return {};
    std::lock_guard lock(mutex_);
    // One transaction for both: the pages they share (the end of the runs table and of its
    // indexes) are written once, not twice.
    std::optional<UnsyncedCommits> unsynced;
    if (!synced)
      unsynced.emplace(*database_);
    std::vector<std::optional<std::string>> ids;
    try {
      WriteTransaction transaction(*database_);
      ids.reserve(runs.size());
      for (const NewRun& run : runs)
        ids.push_back(insert_locked(run));
      for (const auto& [id, ending] : endings)
        if (store_detail::can_end(ending)) // else passed over, as in finish_all
          update_locked(id, ending);
      transaction.commit();
    } catch (const std::exception&) {
      if (!runs.empty())
        throw;
      // Endings alone: disk full, store gone; those runs stay running in the store.
    }
    return ids;
  }

  // In a write transaction: the run's ending and events, if it is running.
  bool update_locked(std::string_view id, const RunEnding& ending) {
    Statement update(
        *database_,
        "UPDATE OR ROLLBACK runs SET status = ?1, outputs = ?2, nodes = ?3, error = ?4, "
        "finished_at = ?5 WHERE id = ?6 AND status = 'running'");
    update.bind(1, to_string(ending.status))
        .bind(2, ending.outputs.to_json())
        .bind(3, ending.nodes.to_json())
        .bind(4, ending.error)
        .bind(5, ending.ended_at ? ending.ended_at->time_since_epoch().count() : now_ms())
        .bind(6, id)
        .run();
    if (database_->changes() != 1)
      return false;
    if (!ending.events.empty()) {
      // Not INSERT OR REPLACE, which needs a statement journal (see the top of the file).
      Statement stale(*database_, "DELETE FROM run_event_lines WHERE run_sequence = "
                                  "(SELECT sequence FROM runs WHERE id = ?1)");
      stale.bind(1, id).run();
      Statement events(*database_, "INSERT OR ROLLBACK INTO run_event_lines (run_sequence, events) "
                                   "SELECT sequence, ?2 FROM runs WHERE id = ?1");
      events.bind(1, id).bind(2, store_detail::join_events(ending.events)).run();
    }
    return true;
  }

  std::optional<StoredRunStatus> cancel(std::string_view id) override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    Statement queued(
        *database_,
        "UPDATE OR ROLLBACK runs SET status = 'cancelled', error = 'cancelled before it started', "
        "finished_at = ?1 WHERE id = ?2 AND status = 'queued'");
    queued.bind(1, now_ms()).bind(2, id).run();
    Statement running(
        *database_,
        "UPDATE OR ROLLBACK runs SET cancel_requested = 1 WHERE id = ?1 AND status = 'running'");
    running.bind(1, id).run();
    Statement status(*database_, "SELECT status FROM runs WHERE id = ?1");
    status.bind(1, id);
    std::optional<StoredRunStatus> result;
    if (status.step())
      result = stored_run_status_from(status.text(0));
    transaction.commit();
    return result;
  }

  std::optional<StoredRun> find(std::string_view id) override {
    std::lock_guard lock(mutex_);
    Statement select(*database_, std::string("SELECT ") + columns + " FROM runs WHERE id = ?1");
    select.bind(1, id);
    if (!select.step())
      return std::nullopt;
    return read_run(select);
  }

  std::vector<std::string> events(std::string_view id) override {
    std::lock_guard lock(mutex_);
    Statement select(*database_, "SELECT run_event_lines.events FROM run_event_lines JOIN runs "
                                 "ON run_event_lines.run_sequence = runs.sequence "
                                 "WHERE runs.id = ?1");
    select.bind(1, id);
    if (select.step())
      return store_detail::split_events(select.text(0));
    // Written by a server of schema version 4 or before (see migration 4 -> 5).
    Statement earlier(*database_, "SELECT events FROM run_events WHERE run_id = ?1");
    earlier.bind(1, id);
    if (!earlier.step())
      return {};
    return store_detail::split_events(earlier.text(0));
  }

  RunPage list(const RunQuery& query) override {
    std::lock_guard lock(mutex_);
    Statement select(*database_, std::string("SELECT ") + columns +
                                     " FROM runs WHERE (?1 = '' OR pipeline = ?1) AND "
                                     "(?2 = '' OR status = ?2) AND sequence < ?3 "
                                     "ORDER BY sequence DESC LIMIT ?4");
    const std::size_t limit = std::max<std::size_t>(1, query.limit);
    select.bind(1, query.pipeline)
        .bind(2, query.status ? to_string(*query.status) : std::string_view())
        .bind(3, query.before.value_or(std::numeric_limits<std::int64_t>::max()))
        .bind(4, static_cast<std::int64_t>(limit + 1));
    RunPage page;
    while (select.step())
      page.runs.push_back(read_run(select));
    if (page.runs.size() > limit) {
      page.runs.pop_back();
      page.next_cursor = page.runs.back().sequence;
    }
    return page;
  }

  std::vector<StoredRun> queued() override {
    std::lock_guard lock(mutex_);
    Statement select(*database_, std::string("SELECT ") + columns +
                                     " FROM runs WHERE status = 'queued' ORDER BY sequence");
    std::vector<StoredRun> runs;
    while (select.step())
      runs.push_back(read_run(select));
    return runs;
  }

  std::vector<StoredRun> recover() override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    std::vector<StoredRun> runs;
    {
      Statement select(*database_, std::string("SELECT ") + columns +
                                       " FROM runs WHERE status = 'running' ORDER BY sequence");
      while (select.step())
        runs.push_back(read_run(select));
    }
    const std::int64_t now = now_ms();
    for (StoredRun& run : runs) {
      run.status = StoredRunStatus::interrupted;
      run.error = std::string(store_detail::interrupted_error);
      Statement update(*database_,
                       "UPDATE OR ROLLBACK runs SET status = 'interrupted', error = ?1, "
                       "finished_at = ?2 WHERE id = ?3");
      update.bind(1, run.error).bind(2, now).bind(3, run.id).run();
      run.finished_at = SysMillis(std::chrono::milliseconds(now));
    }
    transaction.commit();
    return runs;
  }

  std::optional<SysSeconds> last_fire(std::string_view schedule) override {
    std::lock_guard lock(mutex_);
    Statement select(*database_, "SELECT last_fire FROM schedule_marks WHERE schedule = ?1");
    select.bind(1, schedule);
    if (!select.step())
      return std::nullopt;
    return SysSeconds(std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::milliseconds(select.integer(0))));
  }

  void note_schedule(std::string_view schedule, SysSeconds at) override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    Statement mark(*database_,
                   "INSERT OR IGNORE INTO schedule_marks (schedule, last_fire) VALUES (?1, ?2)");
    mark.bind(1, schedule)
        .bind(2,
              std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count())
        .run();
    transaction.commit();
  }

  bool first_delivery(std::string_view id, SysMillis forget_after) override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    Statement expire(*database_, "DELETE FROM webhook_deliveries WHERE forget_after < ?1");
    expire.bind(1, now_ms()).run();
    Statement insert(*database_,
                     "INSERT OR IGNORE INTO webhook_deliveries (id, forget_after) VALUES (?1, ?2)");
    insert.bind(1, id).bind(2, forget_after.time_since_epoch().count()).run();
    const bool first = database_->changes() == 1;
    transaction.commit();
    return first;
  }

  bool add_token(std::string_view name, std::string_view digest) override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    Statement insert(*database_, "INSERT OR IGNORE INTO api_tokens (name, digest, created_at) "
                                 "VALUES (?1, ?2, ?3)");
    insert.bind(1, name).bind(2, digest).bind(3, now_ms()).run();
    const bool added = database_->changes() == 1;
    transaction.commit();
    return added;
  }

  std::optional<std::string> token_name(std::string_view digest) override {
    std::lock_guard lock(mutex_);
    Statement select(*database_, "SELECT name FROM api_tokens WHERE digest = ?1");
    select.bind(1, digest);
    if (!select.step())
      return std::nullopt;
    return select.text(0);
  }

  std::vector<std::string> token_names() override {
    std::lock_guard lock(mutex_);
    Statement select(*database_, "SELECT name FROM api_tokens ORDER BY name");
    std::vector<std::string> names;
    while (select.step())
      names.push_back(select.text(0));
    return names;
  }

  bool remove_token(std::string_view name) override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    Statement remove(*database_, "DELETE FROM api_tokens WHERE name = ?1");
    remove.bind(1, name).run();
    const bool removed = database_->changes() == 1;
    transaction.commit();
    return removed;
  }

  std::size_t prune(std::optional<std::size_t> keep_runs,
                    std::optional<SysMillis> finished_before) override {
    std::lock_guard lock(mutex_);
    WriteTransaction transaction(*database_);
    std::size_t removed = 0;
    const std::string finished = "status NOT IN ('queued', 'running')";
    // Never the newest run (max(sequence)): without AUTOINCREMENT its number would be given
    // to the next run, and a cursor or a stale events row could then name the wrong run.
    const std::string removable = finished + " AND sequence < (SELECT max(sequence) FROM runs)";
    if (keep_runs) {
      Statement remove(*database_, "DELETE FROM runs WHERE " + removable +
                                       " AND sequence NOT IN (SELECT sequence FROM runs WHERE " +
                                       finished + " ORDER BY sequence DESC LIMIT ?1)");
      remove.bind(1, static_cast<std::int64_t>(*keep_runs)).run();
      removed += static_cast<std::size_t>(database_->changes());
    }
    if (finished_before) {
      Statement remove(*database_, "DELETE FROM runs WHERE " + removable + " AND finished_at < ?1");
      remove.bind(1, finished_before->time_since_epoch().count()).run();
      removed += static_cast<std::size_t>(database_->changes());
    }
    if (removed > 0)
      database_->exec(
          "DELETE FROM run_event_lines WHERE run_sequence NOT IN (SELECT sequence FROM runs);"
          "DELETE FROM run_events WHERE run_id NOT IN (SELECT id FROM runs);");
    transaction.commit();
    return removed;
  }

private:
  std::mutex mutex_;
  std::unique_ptr<Database> database_;
};

std::optional<std::filesystem::path> environment_path(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value)
    return std::nullopt;
  return std::filesystem::path(value);
}

} // namespace

CredentialStoreOptions
run_store_options_from_environment(const std::filesystem::path& credentials_database,
                                   const std::optional<std::filesystem::path>& database_override) {
  CredentialStoreOptions options;
  if (database_override && !database_override->empty())
    options.database = *database_override;
  else if (auto path = environment_path("SLUICE_RUNS"))
    options.database = *path;
  else
    options.database = credentials_database.parent_path() / "runs.db";
  if (const char* key = std::getenv("SLUICE_RUNS_KEY"); key && *key)
    options.key_hex = Secret(std::string(key));
  options.key_file = environment_path("SLUICE_RUNS_KEY_FILE")
                         .value_or(options.database.parent_path() / "runs.key");
  return options;
}

std::unique_ptr<RunStore> open_run_store(const CredentialStoreOptions& options) {
  std::optional<credentials::StoreKey> key;
  auto store = std::make_unique<SqlCipherRunStore>(
      credentials::open_or_create_store(options, run_store_file, &key));
  const std::filesystem::path folder = AcceptLog::folder_for(options.database);
  if (std::filesystem::exists(folder))
    if (auto log = AcceptLog::open(folder, *key, std::chrono::milliseconds(0)))
      replay_accept_log(*store, *log);
  return store;
}

std::unique_ptr<RunStore> open_served_run_store(const CredentialStoreOptions& options,
                                                bool log_runs) {
  std::optional<credentials::StoreKey> key;
  auto store = std::make_unique<SqlCipherRunStore>(
      credentials::open_or_create_store(options, run_store_file, &key));
  const std::filesystem::path folder = AcceptLog::folder_for(options.database);
  // Long enough for a `sluice runs` that is replaying the log to finish.
  auto log = AcceptLog::open(folder, *key, std::chrono::seconds(10));
  if (!log)
    throw CredentialError(CredentialError::Kind::busy,
                          "the run store " + options.database.string() +
                              " is in use by another `sluice serve` (it holds " +
                              (folder / "lock").string() +
                              "); stop that server first, or give this one a run store of its "
                              "own (--runs PATH)");
  return std::make_unique<LoggedRunStore>(std::move(store), std::move(log), log_runs);
}

} // namespace sluice::service
