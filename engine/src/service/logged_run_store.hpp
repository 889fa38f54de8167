#pragma once
// The run store `sluice serve` uses on its own machine: the SQLCipher store with an accept log
// (accept_log.hpp) in front. Accepting a run appends it to the log and returns, and so does
// recording how a run ended: a few microseconds on the calling thread, where writing into the
// store would cost a transaction (and, for an accept, a sync) each. What is logged is written
// into the store in one transaction every few milliseconds (RunWriter calls write_logged()),
// hundreds of runs at a time under load, which shares the pages they touch. Every call that
// reads or changes runs writes what is logged first, so it sees every accepted run and every
// ending.
//
// What the log changes for durability: an accepted run survives a crash or `kill -9` of the
// process (the log is replayed when the store is opened next, by the server or by
// `sluice runs`); a power cut or a crash of the machine may lose the runs accepted in the last
// seconds before it. With `log_runs` false (`sluice serve --sync-accepts`) every accept is
// written and synced into the store before it returns, as RunStore::accept says.

#include "accept_log.hpp"
#include "run_store.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sluice::service {

/// A run as the accept log keeps it, and back (throws std::runtime_error for a record that is
/// not one).
std::string accept_record(const NewRun& run);
NewRun run_from_accept_record(std::string_view record);
/// How run `id` ended, as the accept log keeps it, and back (the same).
std::string ending_record(std::string_view id, const RunEnding& ending);
std::pair<std::string, RunEnding> ending_from_record(std::string_view record);

/// Writes the runs of the log's segments found at open that `store` does not have yet (a
/// process stopped before writing them), and the endings logged (of runs still running in
/// the store), then deletes those segments. Returns how many runs it wrote. Throws what the
/// store throws, leaving the segments.
std::size_t replay_accept_log(RunStore& store, AcceptLog& log);

class LoggedRunStore final : public RunStore {
public:
  /// Replays `log` (replay_accept_log) into `store` first. Throws as that does. With
  /// `log_runs` false, runs are written into the store at once (`--sync-accepts`); the log is
  /// only held.
  LoggedRunStore(std::unique_ptr<RunStore> store, std::unique_ptr<AcceptLog> log, bool log_runs);
  /// Writes what is logged into the store; once all of it is there, the log's segments go.
  ~LoggedRunStore() override;

  bool logs_runs() const noexcept override { return log_runs_; }
  void write_logged() override { (void)write({}, {}); }

  std::optional<std::string> accept(const NewRun& run) override;
  std::vector<std::optional<std::string>> accept_all(const std::vector<NewRun>& runs) override;
  bool start(std::string_view id) override;
  void finish(std::string_view id, const RunEnding& ending) override;
  std::size_t finish_all(const std::vector<std::pair<std::string, RunEnding>>& endings) override;
  std::vector<std::optional<std::string>>
  finish_and_accept(const std::vector<std::pair<std::string, RunEnding>>& endings,
                    const std::vector<NewRun>& runs) override;
  std::optional<StoredRunStatus> cancel(std::string_view id) override;
  std::optional<StoredRun> find(std::string_view id) override;
  std::vector<std::string> events(std::string_view id) override;
  RunPage list(const RunQuery& query) override;
  std::vector<StoredRun> queued() override;
  std::vector<StoredRun> recover() override;
  std::optional<SysSeconds> last_fire(std::string_view schedule) override;
  void note_schedule(std::string_view schedule, SysSeconds at) override;
  bool first_delivery(std::string_view id, SysMillis forget_after) override;
  bool add_token(std::string_view name, std::string_view digest) override;
  std::optional<std::string> token_name(std::string_view digest) override;
  std::vector<std::string> token_names() override;
  bool remove_token(std::string_view name) override;
  std::size_t prune(std::optional<std::size_t> keep_runs,
                    std::optional<SysMillis> finished_before) override;
  std::string location() const override { return store_->location(); }

private:
  /// Writes the logged runs and `runs`, then the logged endings and `endings`, in one store
  /// write; the ids of `runs`.
  std::vector<std::optional<std::string>>
  write(const std::vector<std::pair<std::string, RunEnding>>& endings,
        const std::vector<NewRun>& runs);

  std::unique_ptr<RunStore> store_;
  std::unique_ptr<AcceptLog> log_;
  const bool log_runs_;
  /// One write() at a time, so runs reach the store in the order they were logged.
  std::mutex write_mutex_;
  /// Guards log_, logged_runs_ and logged_endings_.
  std::mutex log_mutex_;
  /// Logged, not yet in the store, oldest first.
  std::vector<NewRun> logged_runs_;
  std::vector<std::pair<std::string, RunEnding>> logged_endings_;
};

} // namespace sluice::service
