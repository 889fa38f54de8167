#pragma once
// Owns the runs of served pipelines: writes each one down before it starts, starts it when
// the pipeline's concurrency allows (otherwise queues, skips or refuses it, as the pipeline
// says), records how it ended, cancels on request, picks up after a restart, and drains on
// shutdown. Triggers (schedules, webhooks, the API) only ever call submit().

#include "metrics.hpp"
#include "run_feed.hpp"
#include "run_queue.hpp"
#include "run_store.hpp"
#include "run_writer.hpp"

#include <sluice/engine.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::service {

/// A pipeline as the server serves it.
struct ServedPipeline {
  Pipeline pipeline;
  std::string hash; ///< SHA-256 of its file, recorded with each run
};

/// How `result` ended, as the store records it (its events left to the caller).
RunEnding ending_of(const RunResult& result);

/// Why submit() did not accept a run; nothing was recorded.
struct Refusal {
  /// `full`: the pipeline's concurrency or an accepted schedule time says no; `queue_full`:
  /// the server holds as many waiting runs as it may (try again later).
  enum class Why { unknown_pipeline, full, queue_full, stopping };
  Why why;
  std::string message;
};

class Dispatcher {
public:
  /// Runs go to `engine`; their records to `store`; the dispatcher's own work (recording
  /// endings, starting queued runs) happens on `executor`, never on the engine's threads,
  /// because the store's writes wait for the disk. `metrics`, when given, counts runs.
  Dispatcher(Engine& engine, RunStore& store, boost::asio::any_io_executor executor,
             Metrics* metrics = nullptr);
  /// Cancels what still runs and waits for it (drain(0)): `executor` must still be run.
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  /// Serves `served` under its name, replacing the previous version (runs of that one go
  /// on with it).
  void serve(ServedPipeline served);
  /// Stops accepting runs of pipeline `name` (its file is gone); those accepted go on.
  void retire(std::string_view name);
  /// At most `limit` runs wait to start, over all pipelines; more are refused (Why::full).
  void limit_queue(std::size_t limit);

  /// Checks the run's inputs (InputError when they do not match the pipeline's), writes it
  /// down and starts it, or queues or skips it when the pipeline has `concurrency.limit`
  /// runs going. With `after` (a run id), the run waits until that run has ended (a
  /// schedule's `overlap: queue`). Returns the run id (also of a skipped run), or why it
  /// was refused.
  std::variant<std::string, Refusal> submit(NewRun run, std::string_view after = {});
  /// The same without blocking a thread, on a strand (an HTTP connection's coroutine): runs
  /// submitted together are written down together (RunWriter).
  /// Returns the run as it was accepted (what GET /v1/runs/ID shows at that moment).
  boost::asio::awaitable<std::variant<StoredRun, Refusal>> async_submit(NewRun run);

  /// `text` as a value of input `input` of the served pipeline `pipeline`, by the input's
  /// declared type (Pipeline::parse_input). Throws InputError.
  Value parse_input(std::string_view pipeline, std::string_view input, std::string_view text) const;

  /// A queued run is cancelled at once; a running one is stopped (its record ends as
  /// cancelled). The status afterwards; nullopt for an unknown id.
  std::optional<StoredRunStatus> cancel(std::string_view id);

  /// After a restart: runs left running become interrupted, and are accepted again for
  /// pipelines with `on_restart: rerun`; queued runs of served pipelines are started (or
  /// queued again). Returns the ids of the runs accepted again.
  std::vector<std::string> recover();

  /// Refuses new runs from now on, lets running ones finish within `grace`, then cancels
  /// the rest and waits until they have ended (recorded as cancelled).
  void drain(std::chrono::milliseconds grace);

  /// Waits until run `id` has ended or `timeout` passed; the run's record either way.
  std::optional<StoredRun> wait(std::string_view id, std::chrono::milliseconds timeout);

  /// The live events of run `id` while it is queued or running here; null otherwise (its
  /// events are in the store once it has ended).
  std::shared_ptr<RunFeed> feed(std::string_view id) const;

  /// Runs going and waiting, for /metrics.
  Metrics::Gauges gauges() const;

private:
  struct PipelineState {
    std::shared_ptr<const ServedPipeline> served;
    bool accepting = true;
    std::size_t running = 0;          ///< also runs being accepted to start at once
    std::size_t reserved_waiting = 0; ///< runs being accepted to wait
    std::deque<std::string> waiting;  ///< queued run ids, oldest first
  };
  struct Active {
    std::string pipeline;
    std::stop_source stop;
    std::optional<SysMillis> started_at; ///< as the store has it, when known here
    bool cancel_requested = false;
  };

  /// A run admitted, being written down: what it holds of the pipeline's concurrency.
  struct Admission {
    NewRun run;
    std::string after;
    bool behind = false;
  };
  /// Checks and reserves (with the lock); the run to write down, or why not. Throws
  /// InputError.
  std::variant<Admission, Refusal> admit(NewRun run, std::string_view after);
  /// admit() on a shared queue (with the lock): the run is written down queued, never
  /// started here.
  std::variant<Admission, Refusal> admit_shared_locked(NewRun run, PipelineState& state);
  /// Once it is written down (`id`; nullopt: a schedule time accepted before): starts it or
  /// queues it. Releases the reservation either way.
  std::variant<std::string, Refusal> settle(Admission& admission,
                                            const std::optional<std::string>& id);
  /// Writing it down failed: gives the reservation back.
  void abandon(const Admission& admission);
  /// With mutex_ held: the admission's reservation back to `state`.
  void release_locked(const Admission& admission, PipelineState& state);

  // With mutex_ held.
  /// Records that the waiting run `id` starts, then runs it.
  void start_locked(const std::string& id, PipelineState& state, Value inputs);
  /// Runs `id`, recorded as running already (since `started_at`, when known).
  void run_locked(const std::string& id, PipelineState& state, Value inputs,
                  std::optional<SysMillis> started_at);
  void start_next_locked(PipelineState& state);
  /// Whether run `id` is running or waiting here.
  bool pending_locked(std::string_view id) const;
  std::size_t queued_locked() const;
  /// The run's feed ends: its readers see the end, and it is no longer found here.
  void close_feed_locked(std::string_view id);
  void finished(const std::string& id, const std::string& pipeline, const RunEnding& ending);

  Engine& engine_;
  RunStore& store_;
  boost::asio::any_io_executor executor_;
  Metrics* metrics_;
  /// The store has a queue shared with other processes (RunStore::queue): runs are written
  /// down queued and the queue's workers run them (worker.hpp); none runs here.
  bool shared_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, PipelineState, std::less<>> pipelines_;
  std::map<std::string, Active, std::less<>> active_;
  /// Waiting run id -> the run it waits for (not kept across restarts: what ran before a
  /// restart was interrupted, so nothing is left to wait for).
  std::map<std::string, std::string, std::less<>> after_;
  std::map<std::string, std::shared_ptr<RunFeed>, std::less<>> feeds_;
  std::size_t queue_limit_ = 10000;
  /// Runs admitted and being written down, and endings being written: drain() waits for
  /// them too.
  std::size_t accepting_ = 0;
  std::size_t writing_ = 0;
  bool stopping_ = false;
  /// drain() has cancelled what ran: runs that start from now on are cancelled at once.
  bool cancelling_ = false;
  // Last: its thread stops (writing what waits) before the members above go.
  RunWriter writer_;
};

} // namespace sluice::service
