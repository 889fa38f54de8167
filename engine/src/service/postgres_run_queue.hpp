#pragma once
// The shared queue on PostgreSQL (run_queue.hpp): claims with FOR UPDATE SKIP LOCKED, so
// workers never wait for each other's rows; a pipeline's concurrency limit counted under an
// advisory lock per pipeline, so two workers cannot both take the last slot; LISTEN/NOTIFY to
// wake idle workers (with polling as the fallback); checkpoints in their own table.
// Part of the PostgreSQL run store, whose pool, owner and leases it shares.

#include "run_queue.hpp"

#include "../postgres/pool.hpp"

#include <memory>
#include <mutex>
#include <string>

namespace sluice::service {

/// The channel queued runs are announced on.
inline constexpr std::string_view queued_channel = "sluice_queued";

class PostgresRunQueue final : public RunQueue {
public:
  /// `owner` names this process in the runs it holds, for `lease` at a time.
  PostgresRunQueue(postgres::Pool& pool, std::string owner, std::chrono::milliseconds lease);
  ~PostgresRunQueue() override;

  std::optional<ClaimedRun> claim(const Limits& limits) override;
  void wait_for_work(std::chrono::milliseconds timeout) override;
  void checkpoint(std::string_view run_id, const Checkpoint& checkpoint) override;
  std::size_t reclaim() override;
  HeldRuns held(const std::vector<std::string>& running) override;
  std::size_t active(std::string_view pipeline) override;
  Counts counts() override;
  bool lead_schedules() override;

private:
  std::chrono::milliseconds timeout() const noexcept;

  postgres::Pool& pool_;
  std::string owner_;
  std::chrono::milliseconds lease_;
  std::mutex listener_mutex_;
  /// Its own connection: a pooled one would hand the LISTEN to whoever leases it next.
  std::unique_ptr<postgres::Connection> listener_;
  /// Holds the schedule leader's advisory lock (a session lock: it is the connection's for as
  /// long as the connection lives, and goes with it when this process dies).
  std::mutex leader_mutex_;
  std::unique_ptr<postgres::Connection> leader_;
  bool leading_ = false;
};

/// `names` as a PostgreSQL text[] literal ({"a","b"}), for `= ANY($1)`.
std::string text_array(const std::vector<std::string>& names);

} // namespace sluice::service
