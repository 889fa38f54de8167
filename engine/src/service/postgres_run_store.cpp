// Runs as rows of PostgreSQL tables (prefixed sluice_, in the connection's schema). Every
// change is one transaction; a committed accept is durable on the server (synchronous_commit
// as the server is configured, on by default), endings commit without waiting for the server's
// disk, as the embedded store does.
//
// A lost connection is tried again (postgres::Pool::with_retry), so every write here is safe
// to repeat after a COMMIT whose answer was lost: run ids are chosen before the first attempt
// and a second attempt recognises its own rows.

#include "postgres_run_store.hpp"

#include "postgres_run_queue.hpp"
#include "postgres_run_rows.hpp"

#include "../postgres/migrations.hpp"

#include <sluice/credentials.hpp>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace sluice::service {

namespace {

using postgres::Connection;
using postgres::Params;
using postgres::Result;
using postgres::Transaction;
using namespace store_detail;

// Index i takes the schema from version i to i + 1. Append only: databases in use exist.
constexpr std::array<const char*, 2> migrations{{
    "CREATE TABLE sluice_runs ("
    "  sequence BIGSERIAL PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  pipeline TEXT NOT NULL,"
    "  pipeline_hash TEXT NOT NULL,"
    "  trigger TEXT NOT NULL,"
    "  schedule TEXT,"
    "  fire_time BIGINT,"
    "  inputs JSON NOT NULL,"
    "  status TEXT NOT NULL,"
    "  outputs JSON NOT NULL DEFAULT 'null',"
    "  nodes JSON NOT NULL DEFAULT '[]',"
    "  error TEXT NOT NULL DEFAULT '',"
    "  cancel_requested BOOLEAN NOT NULL DEFAULT false,"
    "  rerun_of TEXT NOT NULL DEFAULT '',"
    "  accepted_at BIGINT NOT NULL,"
    "  started_at BIGINT,"
    "  finished_at BIGINT,"
    // The process a running run belongs to, until lease_until (the server's clock).
    "  owner TEXT,"
    "  lease_until TIMESTAMPTZ,"
    "  UNIQUE (schedule, fire_time)"
    ");"
    "CREATE INDEX sluice_runs_by_pipeline ON sluice_runs (pipeline, sequence);"
    "CREATE INDEX sluice_runs_by_status ON sluice_runs (status, sequence);"
    "CREATE TABLE sluice_run_events ("
    "  run_id TEXT PRIMARY KEY REFERENCES sluice_runs (id) ON DELETE CASCADE,"
    "  events TEXT NOT NULL"
    ");"
    "CREATE TABLE sluice_schedule_marks ("
    "  schedule TEXT PRIMARY KEY,"
    "  last_fire BIGINT NOT NULL"
    ");"
    "CREATE TABLE sluice_api_tokens ("
    "  name TEXT PRIMARY KEY,"
    "  digest TEXT NOT NULL UNIQUE,"
    "  created_at BIGINT NOT NULL"
    ");"
    "CREATE TABLE sluice_webhook_deliveries ("
    "  id TEXT PRIMARY KEY,"
    "  forget_after BIGINT NOT NULL"
    ");",
    // 1 -> 2: the shared queue (postgres_run_queue.hpp): how often a run was taken back from
    // a holder that died, and how each of its nodes ended while it ran.
    "ALTER TABLE sluice_runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX sluice_runs_by_owner ON sluice_runs (owner) WHERE owner IS NOT NULL;"
    "CREATE TABLE sluice_run_checkpoints ("
    "  run_id TEXT NOT NULL REFERENCES sluice_runs (id) ON DELETE CASCADE,"
    "  node TEXT NOT NULL,"
    "  ending TEXT NOT NULL,"
    "  output JSON NOT NULL DEFAULT 'null',"
    "  category TEXT NOT NULL DEFAULT '',"
    "  message TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (run_id, node)"
    ");",
}};

std::int64_t fire_ms(const ScheduleFire& fire) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(fire.at.time_since_epoch()).count();
}

// Who this process is, for people reading the owner column: host, pid and a random part.
std::string new_owner() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + new_run_id().substr(0, 8);
}

class PostgresRunStore final : public RunStore {
public:
  explicit PostgresRunStore(PostgresStoreOptions options)
      : options_(std::move(options)), pool_(options_.pool), owner_(new_owner()),
        queue_(pool_, owner_, options_.lease) {
    migrate();
    heartbeat_ = std::thread([this] { renew_leases(); });
  }

  ~PostgresRunStore() override {
    {
      std::lock_guard lock(heartbeat_mutex_);
      stopping_ = true;
    }
    heartbeat_wake_.notify_all();
    heartbeat_.join();
    // Runs still running here were not finished (the service writes every ending before it
    // closes the store): their lease ends now, so recover() elsewhere need not wait for it.
    if (!pool_.reachable())
      return; // not worth a connect timeout: the leases run out by themselves
    try {
      auto connection = pool_.lease();
      connection->exec("UPDATE sluice_runs SET lease_until = now() "
                       "WHERE owner = $1 AND status = 'running'",
                       Params().add(owner_), timeout());
    } catch (...) {
      // Unreachable: the leases run out by themselves.
    }
  }

  RunQueue* queue() noexcept override { return &queue_; }

  std::optional<std::string> accept(const NewRun& run) override { return accept_all({run})[0]; }

  std::vector<std::optional<std::string>> accept_all(const std::vector<NewRun>& runs) override {
    std::vector<std::string> ids;
    ids.reserve(runs.size());
    for (const NewRun& run : runs)
      ids.push_back(run.id.empty() ? new_run_id() : run.id);
    std::vector<std::optional<std::string>> accepted;
    bool again = false;
    pool_.with_retry([&](Connection& connection) {
      accepted.clear();
      Transaction transaction(connection, timeout());
      bool queued = false;
      for (std::size_t i = 0; i < runs.size(); ++i) {
        accepted.push_back(insert(connection, runs[i], ids[i], again));
        queued = queued || (accepted.back() && runs[i].status == StoredRunStatus::queued);
      }
      // Idle workers wake up when this commits (NOTIFY is sent with the COMMIT).
      if (queued)
        connection.exec("SELECT pg_notify($1, '')", Params().add(queued_channel), timeout());
      again = true;
      transaction.commit();
    });
    return accepted;
  }

  bool start(std::string_view id) override {
    bool started = false;
    bool again = false;
    pool_.with_retry([&](Connection& connection) {
      // Tried again after a lost answer: running under this owner means the first attempt
      // committed.
      const Result updated = connection.exec(
          std::string("UPDATE sluice_runs SET status = 'running', started_at = $1, owner = $2, "
                      "lease_until = now() + $3::double precision * interval '1 millisecond' "
                      "WHERE id = $4 AND ") +
              (again ? "(status = 'queued' OR (status = 'running' AND owner = $2))"
                     : "status = 'queued'"),
          Params().add(now_unix_ms()).add(owner_).add(lease_ms()).add(id), timeout());
      again = true;
      started = updated.affected() == 1;
    });
    return started;
  }

  void finish(std::string_view id, const RunEnding& ending) override {
    if (finish_all({{std::string(id), ending}}) != 1) // checks the ending
      throw std::logic_error("run " + std::string(id) + " is not running");
  }

  std::size_t finish_all(const std::vector<std::pair<std::string, RunEnding>>& endings) override {
    for (const auto& [id, ending] : endings)
      check_ending(ending);
    std::size_t finished = 0;
    bool again = false;
    pool_.with_retry([&](Connection& connection) {
      finished = 0;
      Transaction transaction(connection, timeout());
      // An ending lost to a crash of the database server reads as running, then interrupted:
      // true to anyone reading. Not waiting for the server's disk halves the syncs per run.
      connection.exec("SET LOCAL synchronous_commit = off", timeout());
      for (const auto& [id, ending] : endings)
        finished += write_ending(connection, id, ending, again) ? 1 : 0;
      again = true;
      transaction.commit();
    });
    return finished;
  }

  std::optional<StoredRunStatus> cancel(std::string_view id) override {
    std::optional<StoredRunStatus> status;
    pool_.with_retry([&](Connection& connection) {
      Transaction transaction(connection, timeout());
      connection.exec("UPDATE sluice_runs SET status = 'cancelled', "
                      "error = 'cancelled before it started', finished_at = $1 "
                      "WHERE id = $2 AND status = 'queued'",
                      Params().add(now_unix_ms()).add(id), timeout());
      connection.exec("UPDATE sluice_runs SET cancel_requested = true "
                      "WHERE id = $1 AND status = 'running'",
                      Params().add(id), timeout());
      const Result row = connection.exec("SELECT status FROM sluice_runs WHERE id = $1",
                                         Params().add(id), timeout());
      status = row.rows() == 1 ? stored_run_status_from(row.text(0, 0)) : std::nullopt;
      transaction.commit();
    });
    return status;
  }

  std::optional<StoredRun> find(std::string_view id) override {
    std::optional<StoredRun> run;
    read([&](Connection& connection) {
      const Result rows =
          connection.exec(std::string("SELECT ") + run_columns + " FROM sluice_runs WHERE id = $1",
                          Params().add(id), timeout());
      run = rows.rows() == 1 ? std::optional(read_run(rows, 0)) : std::nullopt;
    });
    return run;
  }

  std::vector<std::string> events(std::string_view id) override {
    std::vector<std::string> events;
    read([&](Connection& connection) {
      const Result rows = connection.exec("SELECT events FROM sluice_run_events WHERE run_id = $1",
                                          Params().add(id), timeout());
      events = rows.rows() == 1 ? split_events(rows.text(0, 0)) : std::vector<std::string>();
    });
    return events;
  }

  RunPage list(const RunQuery& query) override {
    const std::size_t limit = std::max<std::size_t>(1, query.limit);
    RunPage page;
    read([&](Connection& connection) {
      const Result rows = connection.exec(
          std::string("SELECT ") + run_columns +
              " FROM sluice_runs WHERE ($1 = '' OR pipeline = $1) AND ($2 = '' OR status = $2) "
              "AND sequence < $3 ORDER BY sequence DESC LIMIT $4",
          Params()
              .add(query.pipeline)
              .add(query.status ? to_string(*query.status) : std::string_view())
              .add(query.before.value_or(std::numeric_limits<std::int64_t>::max()))
              .add(static_cast<std::int64_t>(limit + 1)),
          timeout());
      page.runs = read_runs(rows);
    });
    if (page.runs.size() > limit) {
      page.runs.pop_back();
      page.next_cursor = page.runs.back().sequence;
    }
    return page;
  }

  std::vector<StoredRun> queued() override {
    std::vector<StoredRun> runs;
    read([&](Connection& connection) {
      runs = read_runs(connection.exec(std::string("SELECT ") + run_columns +
                                           " FROM sluice_runs WHERE status = 'queued' "
                                           "ORDER BY sequence",
                                       timeout()));
    });
    return runs;
  }

  std::vector<StoredRun> recover() override {
    std::vector<StoredRun> runs;
    pool_.with_retry([&](Connection& connection) {
      // Only runs nobody holds: a process that is alive renews its leases.
      runs = read_runs(connection.exec(
          std::string("UPDATE sluice_runs SET status = 'interrupted', error = $1, "
                      "finished_at = $2, owner = NULL, lease_until = NULL "
                      "WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now()) "
                      "RETURNING ") +
              run_columns,
          Params().add(interrupted_error).add(now_unix_ms()), timeout()));
    });
    std::sort(runs.begin(), runs.end(),
              [](const StoredRun& a, const StoredRun& b) { return a.sequence < b.sequence; });
    return runs;
  }

  std::optional<SysSeconds> last_fire(std::string_view schedule) override {
    std::optional<SysSeconds> at;
    read([&](Connection& connection) {
      const Result rows =
          connection.exec("SELECT last_fire FROM sluice_schedule_marks WHERE schedule = $1",
                          Params().add(schedule), timeout());
      if (rows.rows() == 1)
        at = std::chrono::floor<std::chrono::seconds>(from_unix_ms(rows.integer(0, 0)));
    });
    return at;
  }

  void note_schedule(std::string_view schedule, SysSeconds at) override {
    pool_.with_retry([&](Connection& connection) {
      connection.exec("INSERT INTO sluice_schedule_marks (schedule, last_fire) VALUES ($1, $2) "
                      "ON CONFLICT (schedule) DO NOTHING",
                      Params().add(schedule).add(unix_ms(SysMillis(at))), timeout());
    });
  }

  bool first_delivery(std::string_view id, SysMillis forget_after) override {
    bool first = false;
    pool_.with_retry([&](Connection& connection) {
      Transaction transaction(connection, timeout());
      connection.exec("DELETE FROM sluice_webhook_deliveries WHERE forget_after < $1",
                      Params().add(now_unix_ms()), timeout());
      first = connection
                  .exec("INSERT INTO sluice_webhook_deliveries (id, forget_after) "
                        "VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                        Params().add(id).add(unix_ms(forget_after)), timeout())
                  .affected() == 1;
      transaction.commit();
    });
    return first;
  }

  bool add_token(std::string_view name, std::string_view digest) override {
    bool added = false;
    pool_.with_retry([&](Connection& connection) {
      added = connection
                  .exec("INSERT INTO sluice_api_tokens (name, digest, created_at) "
                        "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        Params().add(name).add(digest).add(now_unix_ms()), timeout())
                  .affected() == 1;
    });
    return added;
  }

  std::optional<std::string> token_name(std::string_view digest) override {
    std::optional<std::string> name;
    read([&](Connection& connection) {
      const Result rows = connection.exec("SELECT name FROM sluice_api_tokens WHERE digest = $1",
                                          Params().add(digest), timeout());
      if (rows.rows() == 1)
        name = text_of(rows, 0, 0);
    });
    return name;
  }

  std::vector<std::string> token_names() override {
    std::vector<std::string> names;
    read([&](Connection& connection) {
      const Result rows =
          connection.exec("SELECT name FROM sluice_api_tokens ORDER BY name", timeout());
      names.clear();
      for (int row = 0; row < rows.rows(); ++row)
        names.push_back(text_of(rows, row, 0));
    });
    return names;
  }

  bool remove_token(std::string_view name) override {
    bool removed = false;
    pool_.with_retry([&](Connection& connection) {
      removed =
          connection
              .exec("DELETE FROM sluice_api_tokens WHERE name = $1", Params().add(name), timeout())
              .affected() == 1;
    });
    return removed;
  }

  std::size_t prune(std::optional<std::size_t> keep_runs,
                    std::optional<SysMillis> finished_before) override {
    std::size_t removed = 0;
    pool_.with_retry([&](Connection& connection) {
      removed = 0;
      Transaction transaction(connection, timeout());
      const std::string finished = "status NOT IN ('queued', 'running')";
      if (keep_runs)
        removed += static_cast<std::size_t>(
            connection
                .exec("DELETE FROM sluice_runs WHERE " + finished +
                          " AND sequence NOT IN (SELECT sequence FROM sluice_runs WHERE " +
                          finished + " ORDER BY sequence DESC LIMIT $1)",
                      Params().add(static_cast<std::int64_t>(*keep_runs)), timeout())
                .affected());
      if (finished_before)
        removed += static_cast<std::size_t>(
            connection
                .exec("DELETE FROM sluice_runs WHERE " + finished + " AND finished_at < $1",
                      Params().add(unix_ms(*finished_before)), timeout())
                .affected());
      transaction.commit();
    });
    return removed;
  }

  bool reachable() const noexcept override { return pool_.reachable(); }
  std::string location() const override {
    return "PostgreSQL at " + postgres::redact_url(options_.pool.conninfo.reveal());
  }

private:
  std::chrono::milliseconds timeout() const noexcept { return options_.pool.statement_timeout; }
  std::int64_t lease_ms() const noexcept { return options_.lease.count(); }

  // Reads are repeated as they are after a lost connection.
  void read(const std::function<void(Connection&)>& work) { pool_.with_retry(work); }

  // Once, without waiting for a database that is not there: a server that cannot reach its
  // store at the start says so at once.
  void migrate() {
    auto lease = pool_.lease();
    postgres::migrate(*lease, "runs", migrations, "the run store", timeout());
  }

  // In a transaction: the run's row under `id`, or nullopt for a schedule time accepted
  // before. `again`: an earlier attempt's answer was lost, so a row with `id` already there
  // is this run, committed by it.
  std::optional<std::string> insert(Connection& connection, const NewRun& run,
                                    const std::string& id, bool again) {
    const bool skipped = run.status == StoredRunStatus::skipped;
    const bool running = run.status == StoredRunStatus::running;
    const std::int64_t now = run.accepted_at ? unix_ms(*run.accepted_at) : now_unix_ms();
    Params params;
    params.add(id).add(run.pipeline).add(run.pipeline_hash).add(run.trigger);
    if (run.fire)
      params.add(run.fire->schedule).add(fire_ms(*run.fire));
    else
      params.add_null().add_null();
    params.add(run.inputs.to_json())
        .add(to_string(skipped   ? StoredRunStatus::skipped
                       : running ? StoredRunStatus::running
                                 : StoredRunStatus::queued))
        .add(run.message)
        .add(run.rerun_of)
        .add(now);
    if (skipped)
      params.add(now);
    else
      params.add_null();
    if (running)
      params.add(now).add(owner_);
    else
      params.add_null().add_null();
    params.add(lease_ms());
    const Result inserted = connection.exec(
        "INSERT INTO sluice_runs (id, pipeline, pipeline_hash, trigger, schedule, fire_time, "
        "inputs, status, error, rerun_of, accepted_at, finished_at, started_at, owner, "
        "lease_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
        "CASE WHEN $14::text IS NULL THEN NULL ELSE now() + $15::double precision * interval '1 "
        "millisecond' END) "
        "ON CONFLICT DO NOTHING",
        params, timeout());
    if (inserted.affected() == 0) {
      if (!again)
        return std::nullopt;
      const Result mine =
          connection.exec("SELECT 1 FROM sluice_runs WHERE id = $1", Params().add(id), timeout());
      if (mine.rows() == 0)
        return std::nullopt;
    }
    if (run.fire)
      connection.exec("INSERT INTO sluice_schedule_marks (schedule, last_fire) VALUES ($1, $2) "
                      "ON CONFLICT (schedule) DO UPDATE SET last_fire = "
                      "GREATEST(sluice_schedule_marks.last_fire, EXCLUDED.last_fire)",
                      Params().add(run.fire->schedule).add(fire_ms(*run.fire)), timeout());
    return id;
  }

  // In a transaction: the run's ending and events, if it is running here. `again`: an earlier
  // attempt's answer was lost, so a run already in this very ending counts as written.
  bool write_ending(Connection& connection, const std::string& id, const RunEnding& ending,
                    bool again) {
    const std::int64_t ended = ending.ended_at ? unix_ms(*ending.ended_at) : now_unix_ms();
    const Result updated =
        connection.exec("UPDATE sluice_runs SET status = $1, outputs = $2, nodes = $3, error = $4, "
                        "finished_at = $5, owner = NULL, lease_until = NULL "
                        "WHERE id = $6 AND status = 'running' AND owner = $7",
                        Params()
                            .add(to_string(ending.status))
                            .add(ending.outputs.to_json())
                            .add(ending.nodes.to_json())
                            .add(ending.error)
                            .add(ended)
                            .add(id)
                            .add(owner_),
                        timeout());
    if (updated.affected() == 0) {
      if (!again)
        return false;
      const Result row = connection.exec(
          "SELECT 1 FROM sluice_runs WHERE id = $1 AND status = $2 AND finished_at = $3",
          Params().add(id).add(to_string(ending.status)).add(ended), timeout());
      return row.rows() == 1;
    }
    if (!ending.events.empty())
      connection.exec("INSERT INTO sluice_run_events (run_id, events) VALUES ($1, $2) "
                      "ON CONFLICT (run_id) DO UPDATE SET events = EXCLUDED.events",
                      Params().add(id).add(join_events(ending.events)), timeout());
    return true;
  }

  // Every third of a lease (at least every 2 s, so that /readyz soon tells when the database
  // is gone): this process's running runs stay its own. A failure is passed over (the next
  // beat tries again); a process cut off for a whole lease loses its runs.
  void renew_leases() {
    const auto beat =
        std::min<std::chrono::milliseconds>(options_.lease / 3, std::chrono::milliseconds(2000));
    std::unique_lock lock(heartbeat_mutex_);
    while (!heartbeat_wake_.wait_for(lock, beat, [&] { return stopping_; })) {
      lock.unlock();
      try {
        auto connection = pool_.lease();
        connection->exec("UPDATE sluice_runs SET lease_until = now() + "
                         "$2::double precision * interval '1 millisecond' WHERE owner = $1 AND "
                         "status = 'running'",
                         Params().add(owner_).add(lease_ms()), timeout());
        pool_.note_reachable(true);
      } catch (const postgres::Error& e) {
        if (e.kind() != postgres::Error::Kind::query)
          pool_.note_reachable(false);
      }
      lock.lock();
    }
  }

  PostgresStoreOptions options_;
  postgres::Pool pool_;
  std::string owner_;
  PostgresRunQueue queue_;
  std::mutex heartbeat_mutex_;
  std::condition_variable heartbeat_wake_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

} // namespace

std::unique_ptr<RunStore> open_postgres_run_store(PostgresStoreOptions options) {
  return std::make_unique<PostgresRunStore>(std::move(options));
}

} // namespace sluice::service
