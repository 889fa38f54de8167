#pragma once
// The run store `sluice serve` writes every run to: accepted before it starts (so a crash or
// kill -9 never loses an accepted run), started, finished, listed, recovered after a restart.
// An interface, so that the embedded SQLCipher file (sqlcipher_run_store.hpp) and a
// PostgreSQL store for many machines pass one test suite.

#include <sluice/schedule.hpp>
#include <sluice/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::service {

class RunQueue;

using SysMillis = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

enum class StoredRunStatus {
  queued,      ///< accepted, not started
  running,     ///< started, not finished
  succeeded,   ///< finished: the run succeeded
  failed,      ///< finished: the run failed
  cancelled,   ///< finished: cancelled (before or while running)
  interrupted, ///< the server stopped without finishing it (crash, kill -9)
  skipped,     ///< never run: a schedule's overlap or the pipeline's concurrency said so
};

std::string_view to_string(StoredRunStatus status) noexcept;
std::optional<StoredRunStatus> stored_run_status_from(std::string_view text) noexcept;
/// Whether nothing more happens to a run in `status`.
bool is_final(StoredRunStatus status) noexcept;

/// A schedule's fire time: at most one run per schedule and time, ever.
struct ScheduleFire {
  std::string schedule; ///< the schedule's key: pipeline name and its index in `triggers:`
  SysSeconds at;
};

struct NewRun {
  /// Its id when the caller made it (new_run_id(): a run logged before it reaches the store,
  /// logged_run_store.hpp); empty: the store makes one.
  std::string id;
  std::string pipeline;
  std::string pipeline_hash; ///< SHA-256 of the pipeline file, as it was accepted
  std::string trigger;       ///< for people: "api", "webhook /hooks/x", "schedule 0 9 * * *"
  Value inputs = Value(Object{});
  std::optional<ScheduleFire> fire;
  /// `queued`; `running` when it starts at once (accepted and started in one write); or
  /// `skipped` with `message` saying why (recorded, never run).
  StoredRunStatus status = StoredRunStatus::queued;
  std::string message;
  /// The interrupted run this one runs again (`on_restart: rerun`), or empty.
  std::string rerun_of;
  /// When it was accepted (also its start when it starts at once); unset: when written.
  std::optional<SysMillis> accepted_at;
};

struct StoredRun {
  std::string id;
  std::int64_t sequence = 0; ///< the order of acceptance
  std::string pipeline;
  std::string pipeline_hash;
  std::string trigger;
  std::optional<ScheduleFire> fire;
  Value inputs;
  StoredRunStatus status = StoredRunStatus::queued;
  Value outputs;                ///< null unless succeeded
  Value nodes = Value(Array{}); ///< per node: id, status, attempts, timings, message
  std::string error;            ///< why it failed, was cancelled, interrupted or skipped
  bool cancel_requested = false;
  std::string rerun_of;
  SysMillis accepted_at{};
  std::optional<SysMillis> started_at;
  std::optional<SysMillis> finished_at;
};

/// How a run ended, as the runner reports it.
struct RunEnding {
  StoredRunStatus status = StoredRunStatus::succeeded;
  Value outputs;
  Value nodes = Value(Array{});
  std::string error;
  /// The run's events (JSON objects as text, run_feed.hpp), replayed for finished runs.
  std::vector<std::string> events;
  /// When it ended (it may be written down a little later); unset: when it is written.
  std::optional<SysMillis> ended_at;
};

struct RunQuery {
  std::string pipeline; ///< empty: every pipeline
  std::optional<StoredRunStatus> status;
  std::size_t limit = 50;
  /// From a previous page's `next_cursor`: runs accepted before it.
  std::optional<std::int64_t> before;
};

struct RunPage {
  std::vector<StoredRun> runs; ///< newest first
  std::optional<std::int64_t> next_cursor;
};

class RunStore {
public:
  virtual ~RunStore() = default;

  /// Writes the run down (committed and synced: it survives a crash of the process and of
  /// the machine) and returns its id. A schedule fire that was already accepted is not
  /// accepted again: nullopt.
  virtual std::optional<std::string> accept(const NewRun& run) = 0;
  /// accept() of each run, in order, as one write where the store can (one transaction, one
  /// sync): the i-th id is the i-th run's. Throws when nothing was accepted.
  virtual std::vector<std::optional<std::string>> accept_all(const std::vector<NewRun>& runs);
  /// queued -> running. False when the run is no longer queued (cancelled meanwhile).
  virtual bool start(std::string_view id) = 0;
  /// running -> the ending's status. Throws std::logic_error for a run that is not running.
  /// Committed, and on disk once the next accept() or start() returns: a crash of the process
  /// never loses it, a power cut may (the run then reads as interrupted, never as to be run).
  virtual void finish(std::string_view id, const RunEnding& ending) = 0;
  /// finish() of each (id, ending) as one write where the store can; runs that are not
  /// running are passed over. Returns how many were finished.
  virtual std::size_t finish_all(const std::vector<std::pair<std::string, RunEnding>>& endings);
  /// accept_all(runs), then finish_all(endings), as one write where the store can (one
  /// transaction, synced when it accepts runs): what RunWriter does with what waits. Accepts
  /// first: a run may be accepted and end in one write. Throws when the runs were not
  /// accepted; endings that could not be written are passed over (such a run stays running,
  /// and reads as interrupted after a restart).
  virtual std::vector<std::optional<std::string>>
  finish_and_accept(const std::vector<std::pair<std::string, RunEnding>>& endings,
                    const std::vector<NewRun>& runs);
  /// finish_and_accept() with a commit that does not wait for the disk, where the store can:
  /// it survives a crash of the process, not of the machine, and the next synced commit takes
  /// it to disk too. LoggedRunStore writes its logged runs so between segments (in its log
  /// they are no safer). By default: finish_and_accept().
  virtual std::vector<std::optional<std::string>>
  finish_and_accept_unsynced(const std::vector<std::pair<std::string, RunEnding>>& endings,
                             const std::vector<NewRun>& runs) {
    return finish_and_accept(endings, runs);
  }
  /// A queued run is cancelled at once; a running one is marked (the runner cancels it and
  /// finishes it as cancelled). The status afterwards, or nullopt for an unknown id.
  virtual std::optional<StoredRunStatus> cancel(std::string_view id) = 0;

  virtual std::optional<StoredRun> find(std::string_view id) = 0;
  /// The events recorded with a finished run (RunEnding::events); empty for other runs.
  virtual std::vector<std::string> events(std::string_view id) = 0;
  virtual RunPage list(const RunQuery& query) = 0;
  /// Queued runs, oldest first: what a (re)started server still has to run.
  virtual std::vector<StoredRun> queued() = 0;
  /// After a restart: every run left `running` becomes `interrupted` (never silently
  /// dropped). Returns them, so that pipelines with `on_restart: rerun` can accept them again.
  virtual std::vector<StoredRun> recover() = 0;
  /// The latest fire time accepted for `schedule`, or the time the schedule was first
  /// seen (note_schedule), if any: missed fire times are counted from here.
  virtual std::optional<SysSeconds> last_fire(std::string_view schedule) = 0;
  /// Records that `schedule` is served from `at` on, unless something is recorded for it
  /// already: times it misses from then on are missed, times before are not.
  virtual void note_schedule(std::string_view schedule, SysSeconds at) = 0;
  /// Records a webhook delivery by its id (its signature) until `forget_after`; false when
  /// that delivery was recorded before (a replay). Forgets expired ones as it goes.
  virtual bool first_delivery(std::string_view id, SysMillis forget_after) = 0;

  /// API tokens, kept as SHA-256 digests: `token_name` finds a token's name by its digest.
  /// add_token() refuses a name that exists (false).
  virtual bool add_token(std::string_view name, std::string_view digest) = 0;
  virtual std::optional<std::string> token_name(std::string_view digest) = 0;
  virtual std::vector<std::string> token_names() = 0;
  virtual bool remove_token(std::string_view name) = 0;

  /// Deletes finished runs beyond the newest `keep_runs` and those finished before
  /// `finished_before`. Returns how many went. The embedded store never deletes the newest
  /// run of all (its sequence would be given to the next run).
  virtual std::size_t prune(std::optional<std::size_t> keep_runs,
                            std::optional<SysMillis> finished_before) = 0;

  /// Whether the store could be reached the last time it was used (a store on another
  /// machine may not be, for a while; its calls wait and try again meanwhile).
  virtual bool reachable() const noexcept { return true; }
  /// Whether the store keeps a log of its own in front of its tables: accept() of a run
  /// without a schedule fire, and finish_and_accept() of endings alone, return once they are
  /// in the log (written, not synced: they survive a crash of the process, not of the
  /// machine), and every other call sees them as if they were in the tables. RunWriter then
  /// accepts and finishes runs on the caller's thread, and calls write_logged() every few
  /// milliseconds (logged_run_store.hpp).
  virtual bool logs_runs() const noexcept { return false; }
  /// Writes what the log holds into the tables, in one write.
  virtual void write_logged() {}
  /// Where the runs are, for the server's log (never a password); empty: the default file.
  virtual std::string location() const { return {}; }
  /// The queue workers of many processes share (run_queue.hpp), for a store that can be
  /// shared; null for the embedded store.
  virtual RunQueue* queue() noexcept { return nullptr; }
};

/// `at` as UTC ISO 8601 with milliseconds: 2026-12-06T09:00:00.250Z.
std::string iso_ms(SysMillis at);

/// A new run id: time-ordered to the millisecond (`sequence` orders runs exactly) and
/// unguessable.
std::string new_run_id();

/// What every store implementation shares.
namespace store_detail {
/// Milliseconds since the Unix epoch, as stores write times.
std::int64_t unix_ms(SysMillis at) noexcept;
std::int64_t now_unix_ms() noexcept;
SysMillis from_unix_ms(std::int64_t ms) noexcept;
/// Whether `ending` is one a run can finish with (a final status other than skipped).
bool can_end(const RunEnding& ending) noexcept;
/// Throws std::logic_error unless can_end(ending).
void check_ending(const RunEnding& ending);
/// A run's events stored as one text, one event per line (Value::to_json escapes every
/// newline inside strings, so a raw one ends an event), and back.
std::string join_events(const std::vector<std::string>& events);
std::vector<std::string> split_events(std::string_view lines);
/// The error of a run recover() interrupted.
extern const std::string_view interrupted_error;
} // namespace store_detail

} // namespace sluice::service
