// See postgres_run_queue.hpp. A claim is one transaction: lock candidate rows nobody else has
// locked (SKIP LOCKED), and for a pipeline with a concurrency limit take its advisory lock
// before counting its running runs, so the count cannot change under the claim.

#include "postgres_run_queue.hpp"

#include "postgres_run_rows.hpp"

#include <algorithm>
#include <thread>

namespace sluice::service {

using postgres::Connection;
using postgres::Params;
using postgres::Result;
using postgres::Transaction;
using store_detail::now_unix_ms;

namespace {

std::string_view ending_name(Checkpoint::Ending ending) noexcept {
  switch (ending) {
  case Checkpoint::Ending::succeeded:
    return "succeeded";
  case Checkpoint::Ending::failed:
    return "failed";
  case Checkpoint::Ending::skipped:
    return "skipped";
  case Checkpoint::Ending::started:
    break;
  }
  return "started";
}

Checkpoint::Ending ending_from(std::string_view name) noexcept {
  if (name == "succeeded")
    return Checkpoint::Ending::succeeded;
  if (name == "failed")
    return Checkpoint::Ending::failed;
  if (name == "skipped")
    return Checkpoint::Ending::skipped;
  return Checkpoint::Ending::started;
}

std::vector<std::string> column_texts(const Result& rows) {
  std::vector<std::string> texts;
  for (int row = 0; row < rows.rows(); ++row)
    texts.push_back(text_of(rows, row, 0));
  return texts;
}

} // namespace

std::string text_array(const std::vector<std::string>& names) {
  std::string literal = "{";
  for (const std::string& name : names) {
    if (literal.size() > 1)
      literal += ',';
    literal += '"';
    for (const char c : name) {
      if (c == '"' || c == '\\')
        literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  return literal + "}";
}

PostgresRunQueue::PostgresRunQueue(postgres::Pool& pool, std::string owner,
                                   std::chrono::milliseconds lease)
    : pool_(pool), owner_(std::move(owner)), lease_(lease) {
}

PostgresRunQueue::~PostgresRunQueue() = default;

std::chrono::milliseconds PostgresRunQueue::timeout() const noexcept {
  return pool_.options().statement_timeout;
}

std::optional<ClaimedRun> PostgresRunQueue::claim(const Limits& limits) {
  if (limits.empty())
    return std::nullopt;
  std::vector<std::string> names;
  for (const auto& [name, limit] : limits)
    names.push_back(name);
  // One attempt: a claim whose COMMIT answer was lost is not tried again (it would take a
  // second run); held() gives the first one back to the queue.
  auto lease = pool_.lease();
  Connection& connection = *lease;
  Transaction transaction(connection, timeout());
  const Result candidates = connection.exec(
      "SELECT id, pipeline FROM sluice_runs WHERE status = 'queued' AND pipeline = ANY($1) "
      "ORDER BY sequence LIMIT 32 FOR UPDATE SKIP LOCKED",
      Params().add(text_array(names)), timeout());
  std::vector<std::string> full;
  for (int row = 0; row < candidates.rows(); ++row) {
    const std::string id = text_of(candidates, row, 0);
    const std::string pipeline = text_of(candidates, row, 1);
    if (std::find(full.begin(), full.end(), pipeline) != full.end())
      continue;
    const auto limit = limits.find(pipeline);
    if (limit != limits.end() && limit->second > 0) {
      connection.exec("SELECT pg_advisory_xact_lock(hashtext($1))",
                      Params().add("sluice-pipeline:" + pipeline), timeout());
      const Result running = connection.exec(
          "SELECT count(*) FROM sluice_runs WHERE pipeline = $1 AND status = 'running'",
          Params().add(pipeline), timeout());
      if (running.integer(0, 0) >= static_cast<std::int64_t>(limit->second)) {
        full.push_back(pipeline);
        continue;
      }
    }
    const Result claimed = connection.exec(
        std::string("UPDATE sluice_runs SET status = 'running', "
                    "started_at = COALESCE(started_at, $2), owner = $3, "
                    "lease_until = now() + $4::double precision * interval '1 millisecond' "
                    "WHERE id = $1 RETURNING ") +
            run_columns + ", resumes",
        Params().add(id).add(now_unix_ms()).add(owner_).add(lease_.count()), timeout());
    ClaimedRun run{read_run(claimed, 0), static_cast<int>(claimed.integer(0, 17)), {}};
    if (run.resumes > 0) {
      const Result rows = connection.exec("SELECT node, ending, output, category, message "
                                          "FROM sluice_run_checkpoints WHERE run_id = $1",
                                          Params().add(id), timeout());
      for (int i = 0; i < rows.rows(); ++i) {
        Checkpoint checkpoint;
        checkpoint.node = text_of(rows, i, 0);
        checkpoint.ending = ending_from(rows.text(i, 1));
        checkpoint.output = Value::parse_json(rows.text(i, 2));
        checkpoint.category =
            parse_error_category(rows.text(i, 3)).value_or(ErrorCategory::permanent);
        checkpoint.message = text_of(rows, i, 4);
        run.checkpoints.push_back(std::move(checkpoint));
      }
    }
    transaction.commit();
    return run;
  }
  transaction.commit();
  return std::nullopt;
}

void PostgresRunQueue::wait_for_work(std::chrono::milliseconds timeout) {
  std::unique_lock lock(listener_mutex_);
  try {
    if (!listener_ || listener_->broken()) {
      listener_.reset();
      auto connection = std::make_unique<Connection>(pool_.options().conninfo.reveal(),
                                                     pool_.options().connect_timeout);
      connection->exec("LISTEN " + std::string(queued_channel), this->timeout());
      listener_ = std::move(connection);
    }
    if (listener_->wait_notification(timeout)) {
      // Several runs queued at once are several notifications: one wake-up is enough.
      while (listener_->wait_notification(std::chrono::milliseconds(0))) {
      }
    }
  } catch (const postgres::Error&) {
    // No listener (the database is away): polling is the fallback.
    listener_.reset();
    lock.unlock();
    std::this_thread::sleep_for(timeout);
  }
}

void PostgresRunQueue::checkpoint(std::string_view run_id, const Checkpoint& checkpoint) {
  pool_.with_retry([&](Connection& connection) {
    // Only for a run this process still holds: one it lost is another's to record.
    connection.exec(
        "INSERT INTO sluice_run_checkpoints (run_id, node, ending, output, category, message) "
        "SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM sluice_runs WHERE id = $1 "
        "AND owner = $7 AND status = 'running') "
        "ON CONFLICT (run_id, node) DO UPDATE SET ending = EXCLUDED.ending, "
        "output = EXCLUDED.output, category = EXCLUDED.category, message = EXCLUDED.message "
        "WHERE EXCLUDED.ending <> 'started'",
        Params()
            .add(run_id)
            .add(checkpoint.node)
            .add(ending_name(checkpoint.ending))
            .add(checkpoint.output.to_json())
            .add(checkpoint.ending == Checkpoint::Ending::failed ? to_string(checkpoint.category)
                                                                 : std::string_view())
            .add(checkpoint.message)
            .add(owner_),
        timeout());
  });
}

std::size_t PostgresRunQueue::reclaim() {
  std::size_t reclaimed = 0;
  pool_.with_retry([&](Connection& connection) {
    Transaction transaction(connection, timeout());
    reclaimed = static_cast<std::size_t>(
        connection
            .exec("UPDATE sluice_runs SET status = 'queued', owner = NULL, lease_until = NULL, "
                  "resumes = resumes + 1 WHERE status = 'running' AND lease_until < now()",
                  timeout())
            .affected());
    if (reclaimed > 0)
      connection.exec("SELECT pg_notify($1, '')", Params().add(queued_channel), timeout());
    transaction.commit();
  });
  return reclaimed;
}

HeldRuns PostgresRunQueue::held(const std::vector<std::string>& running) {
  HeldRuns held;
  pool_.with_retry([&](Connection& connection) {
    const std::string ids = text_array(running);
    held.cancel_requested = column_texts(connection.exec(
        "SELECT id FROM sluice_runs WHERE id = ANY($1) AND owner = $2 AND status = 'running' "
        "AND cancel_requested",
        Params().add(ids).add(owner_), timeout()));
    held.lost = column_texts(connection.exec(
        "SELECT unnest($1::text[]) EXCEPT SELECT id FROM sluice_runs WHERE id = ANY($1) AND "
        "owner = $2 AND status = 'running'",
        Params().add(ids).add(owner_), timeout()));
    // Runs held here that nobody here runs (a claim whose answer was lost): back to the
    // queue at once rather than renewed for ever.
    connection.exec("UPDATE sluice_runs SET lease_until = now() WHERE owner = $2 AND "
                    "status = 'running' AND NOT (id = ANY($1))",
                    Params().add(ids).add(owner_), timeout());
  });
  return held;
}

std::size_t PostgresRunQueue::active(std::string_view pipeline) {
  std::size_t count = 0;
  pool_.with_retry([&](Connection& connection) {
    const Result rows = connection.exec("SELECT count(*) FROM sluice_runs WHERE pipeline = $1 "
                                        "AND status IN ('queued', 'running')",
                                        Params().add(pipeline), timeout());
    count = static_cast<std::size_t>(rows.integer(0, 0));
  });
  return count;
}

RunQueue::Counts PostgresRunQueue::counts() {
  Counts counts;
  pool_.with_retry([&](Connection& connection) {
    const Result rows =
        connection.exec("SELECT count(*) FILTER (WHERE status = 'queued'), "
                        "count(*) FILTER (WHERE status = 'running') FROM sluice_runs "
                        "WHERE status IN ('queued', 'running')",
                        timeout());
    counts.queued = static_cast<std::size_t>(rows.integer(0, 0));
    counts.running = static_cast<std::size_t>(rows.integer(0, 1));
  });
  return counts;
}

bool PostgresRunQueue::lead_schedules() {
  std::lock_guard lock(leader_mutex_);
  try {
    if (!leader_ || leader_->broken()) {
      leader_.reset();
      leading_ = false;
      leader_ = std::make_unique<Connection>(pool_.options().conninfo.reveal(),
                                             pool_.options().connect_timeout);
    }
    if (leading_) // still ours while the connection answers
      leader_->exec("SELECT 1", timeout());
    else
      leading_ =
          leader_->exec("SELECT pg_try_advisory_lock(hashtext('sluice-schedules'))", timeout())
              .flag(0, 0);
  } catch (const postgres::Error&) {
    leader_.reset(); // the lock, if it was held, goes with the connection
    leading_ = false;
  }
  return leading_;
}

} // namespace sluice::service
