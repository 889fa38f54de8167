#pragma once
// Owns RunState, one run of a Plan in flight: its node records and dependency counters,
// the ready stacks that drain it, settling, cancellation and the result.

#include "dry_run.hpp"
#include "executor.hpp"
#include "node_context.hpp"
#include "outcome.hpp"
#include "plan.hpp"
#include "ready_stack.hpp"
#include "tick_clock.hpp"
#include "workers.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::detail {

// A worker's event loop (Workers): run by one thread, so it runs one handler at a time as a
// strand would, without a strand's lock and its heap-allocated, reference-counted executor
// (copied at every co_await: 7 % of a for_each of HTTP calls).
using Loop = boost::asio::any_io_executor;

// What one drainer holds: the nodes it has ready, and how many nodes it settled that the
// run's count of remaining nodes does not know yet. In a parallel run every settled node
// used to decrement that shared count, one cache line that every thread wrote for every
// node; a drainer now subtracts its own in one step when its stack runs dry (flush()), and
// the run cannot end before that, since it still holds work until then.
//
// Decrements of a node that waits for many (a join) are held back the same way: in a
// fan-in of 100,000 nodes both threads decremented one counter for every node, and two
// threads ran the fan-out slower than one. `held` decrements of `held_node` are applied
// in one step when another such node comes up or the stack runs dry (release_held()).
//
// While it drains, a drainer also holds the one context its inline nodes run with (drain()
// makes it and binds it to each node in turn): building and destroying a context per node,
// two vtables and two destructor calls into the SDK, was 25 instructions of a chain node.
struct Stack {
  ReadyStack nodes;
  std::uint32_t settled = 0;
  std::uint32_t held_node = 0;
  std::uint32_t held = 0;
  NodeContext* context = nullptr; // set only inside drain()
};

// A node waiting for at least this many others has its decrements held (Stack).
constexpr std::uint32_t held_fan_in = 32;

// A ready stack at least this deep may be split with an idle thread. Waking a pool thread
// costs ~1.6 us on the 2-core machines we build on (docs/performance.md), so small plans stay
// on the caller's thread.
constexpr std::size_t split_threshold = 16;
// Plans of at most this many nodes keep their per-run counters inside the run state.
constexpr std::size_t small_plan = 16;

// Whether only one thread ever drains a run of `plan`: every node runs inline (none waits,
// so no completion arrives from another thread) and the ready stack can never be split (one
// thread, or fewer nodes than split_threshold).
inline bool runs_serially(const Plan& plan, unsigned threads) noexcept {
  return plan.all_inline && (threads < 2 || plan.nodes.size() < split_threshold);
}
// The same for a run set up by `setup`. A dry run is never serial: a node that runs on a
// planned node's stand-ins takes the general path (RunState::start_node), and so does a node
// that may have run before (RunOptions::repeated).
inline bool runs_serially(const RunSetup& setup) noexcept {
  return !setup.dry_run && setup.options.repeated.empty() &&
         runs_serially(*setup.plan, setup.threads);
}

// Sets what a RunResult keeps private: the plan its node ids point into.
struct RunResultAccess {
  static void keep_plan(RunResult& result, std::shared_ptr<const void> plan) noexcept {
    result.plan_ = std::move(plan);
  }
};

// One async node invocation: state shared by its coroutines, all confined to `loop`.
struct Invocation : std::enable_shared_from_this<Invocation> {
  Invocation(Loop l, Workers& workers) : loop(std::move(l)), waiting(workers, loop) {}
  Loop loop;
  // The node waits on `loop` until it ends: its worker looks for the answer before sleeping.
  Workers::Waiting waiting;
  bool cancel_requested = false;
  // Timers the invocation's coroutines are waiting on; cancelling them wakes the waiters.
  std::vector<boost::asio::steady_timer*> waits;

  void cancel_all() {
    cancel_requested = true;
    for (boost::asio::steady_timer* timer : waits)
      timer->cancel();
  }
};

// The members are defined in run_state.cpp, except the coroutines of nodes that wait
// (async_nodes.cpp). The three on an inline node's path from start_node() are always_inline:
// while the run state was local to one file GCC inlined them into start_node() as functions
// called once; with external linkage it keeps run_inline_with() out of line, which cost ~30
// instructions per node (callgrind, the procedure in tests/bench/README.md).
// Hidden explicitly, as NodeContext (node_context.hpp): executor.cpp destroys run states too.
class [[gnu::visibility("hidden")]] RunState final : public RunControl,
                                                     public std::enable_shared_from_this<RunState> {
public:
  /// With an empty `on_done` the run is blocking: finish() keeps the result for wait().
  RunState(RunSetup && setup, std::function<void(RunResult)> on_done);
  ~RunState() override;

  void begin(bool drive_here) override;
  void cancel() override;

  /// For a blocking run: waits until it finished (usually it already has, when the caller
  /// drove it) and takes the result.
  RunResult wait() {
    if (serial_ && done_) // finished on this thread, inside begin(): see finish()
      return std::move(result_);
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [&] { return done_; });
    return std::move(result_);
  }

  const Plan& plan() const noexcept {
    return plan_;
  }
  bool cancelling() const noexcept {
    return (detours_.load(std::memory_order_acquire) & cancelling_now) != 0;
  }
  Workers& workers() const noexcept {
    return *setup_.workers;
  }
  /// The engine's connection store; null in runs without an engine.
  CredentialsSource* credentials() const noexcept {
    return setup_.credentials;
  }
  HttpClient* http() const noexcept {
    return setup_.http;
  }
  const RunOptions& options() const noexcept {
    return setup_.options;
  }
  HttpInterceptor* http_interceptor() const noexcept {
    return setup_.options.http_interceptor.get();
  }
  BlockingPool* blocking() const noexcept {
    return setup_.blocking;
  }

  void log(std::uint32_t node, std::int64_t index, int attempt, LogLevel level,
           std::string_view message) {
    if (!observed_)
      return;
    Event e{EventKind::log,
            Clock::now(),
            plan_.nodes[node].id,
            index,
            static_cast<std::uint32_t>(attempt),
            message,
            level};
    emit(e);
  }

private:
  struct StopRequested {
    RunState* run;
    void operator()() const noexcept { run->cancel(); }
  };

  EvalScope scope(const Value* item, std::int64_t index) const noexcept {
    return EvalScope{&setup_.inputs, nodes_.data(), item, index};
  }

  void emit(const Event& event) noexcept {
    for (const auto& observer : setup_.options.observers) {
      try {
        observer->on_event(event);
      } catch (...) {
        // An observer's failure must not change the run's outcome.
      }
    }
  }

  // Inlined for the test alone: nobody observes most runs, and setting up the call's five
  // arguments cost more per node than the call did.
  [[gnu::always_inline]] void emit_node(EventKind kind, std::uint32_t n,
                                        std::string_view message = {}, std::uint32_t attempt = 0,
                                        std::int64_t index = -1) {
    if (observed_) [[unlikely]]
      emit_node_event(kind, n, message, attempt, index);
  }
  void emit_node_event(EventKind kind, std::uint32_t n, std::string_view message,
                       std::uint32_t attempt, std::int64_t index);

  void emit_element(std::uint32_t n, std::size_t index, const Outcome& outcome);

  // ---- scheduling -------------------------------------------------------------------------

  // A time stamp for a node's record: the clock, or in a run that keeps them (ticks_) the
  // counter, converted now with the process's rate (tick_scale_) or kept raw until finish().
  [[gnu::always_inline]] Clock::time_point stamp() const noexcept {
    if (!ticks_)
      return stamps_ ? Clock::now() : Clock::time_point{};
    if (tick_scale_ != 0)
      return TickScale(started_, started_ticks_, tick_scale_).to_time(read_ticks());
    return raw_ticks(read_ticks());
  }

  void drain(Stack & stack) {
    drain(stack, stamp());
  }
  /// `counted`: drainers_ counts this drainer already (split() counts the part it posts).
  void drain(Stack & stack, Clock::time_point mark, bool counted = false);

  // Work sharing between drainers without a wake-up: see await_donation().
  enum class Hunger { idle, waiting, filling, full };
  bool await_donation(Stack & stack);
  void donate(Stack & stack);
  void split(Stack & stack);

  // Inlined into drain(), its one caller: it runs once a node, and as a function of its own
  // it saved and restored six registers every time.
  [[gnu::always_inline]] inline void start_node(std::uint32_t n, Stack & stack,
                                                Clock::time_point & mark);
  // Everything start_node() does for a node that is not plain or in a run that is not.
  [[gnu::noinline]] void start_node_in_general(std::uint32_t n, Stack & stack,
                                               Clock::time_point & mark);
  std::string not_started_reason();

  // Resolves settings (templates, defaults) in order into `slots` (SettingSlots or
  // SettingVector), and checks the types of those the compiler could not (a template that is
  // one reference can only be typed at run time). Stops at the first that does not fit and
  // returns false: settings_problem() then says why (no message is built otherwise).
  template <class Slots>
  [[gnu::always_inline]] bool resolve_settings(const PlanNode& node, const Value* item,
                                               std::int64_t index, Slots& slots,
                                               bool borrow = false) const {
    const EvalScope s = scope(item, index);
    const auto& specs = node.type->spec.settings;
    const std::span<const ValueTemplate> settings = plan_.settings(node);
    for (std::size_t i = 0; i < settings.size(); ++i) {
      const ValueTemplate& setting = settings[i];
      const Value& v = slots.emplace([&] {
        if (setting.is_constant())
          return setting.constant();
        return borrow ? setting.eval_borrowing(s) : setting.eval(s);
      });
      if (!setting.shape_checked() &&
          (v.is_null() ? specs[i].required : !accepts(specs[i].type, v)))
        return false;
    }
    return true;
  }

  // Why resolve_settings() stopped: `values` are the settings it stored, the last one bad.
  std::string settings_problem(std::uint32_t n, std::span<const Value> values) const;

  [[gnu::always_inline]] inline void run_inline(std::uint32_t n, const PlanNode& node, Stack& stack,
                                                Clock::time_point& mark);
  template <class Slots>
  [[gnu::always_inline]] inline void run_inline_with(std::uint32_t n, const PlanNode& node,
                                                     Stack& stack, Clock::time_point& mark,
                                                     Slots& slots, bool borrow);

  // ---- nodes that wait (async_nodes.cpp) ----------------------------------------------------

  void spawn_async(std::uint32_t n);
  boost::asio::awaitable<void> run_async_node(std::shared_ptr<RunState> self, std::uint32_t n,
                                              std::shared_ptr<Invocation> invocation);
  boost::asio::awaitable<Outcome> run_items(std::uint32_t n, Invocation & invocation,
                                            const Value& list);
  boost::asio::awaitable<Outcome> run_with_retries(std::uint32_t n, Invocation & invocation,
                                                   Value item, std::int64_t index);
  boost::asio::awaitable<Outcome> run_attempt(std::uint32_t n, Invocation & invocation,
                                              const Value& item, std::int64_t index,
                                              std::uint32_t attempt);
  /// A successful attempt's outcome, or a failure when `output` passes
  /// Limits::output_bytes. A for_each element (`index` >= 0) is not checked alone:
  /// run_items() checks the elements' outputs together.
  Outcome checked_success(Value output, std::int64_t index) const;

  // ---- settling -----------------------------------------------------------------------------

  void settle_unstarted(std::uint32_t n, NodeStatus status, std::string reason, Stack & stack);
  void settle_mock(std::uint32_t n, const NodeMock& mock, Stack& stack);
  void settle_planned(std::uint32_t n, std::string reason, Stack & stack, Value output = {});
  static std::string known_after_real_run(const NodeResult& dependency);
  bool runs_on_stand_ins(std::uint32_t n) const;
  const NodeResult* first_planned_dependency(std::uint32_t n) const noexcept {
    for (std::uint32_t dep : plan_.dependencies(n))
      if (nodes_[dep].status == NodeStatus::planned)
        return &nodes_[dep];
    return nullptr;
  }
  bool depends_on_planned(const PlanOutput& output) const noexcept {
    for (std::uint32_t node : output.nodes)
      if (nodes_[node].status == NodeStatus::planned)
        return true;
    return false;
  }
  [[gnu::always_inline]] inline void settle_success(std::uint32_t n, const PlanNode& node,
                                                    Stack& stack, Clock::time_point finished);
  void settle_outcome(std::uint32_t n, Outcome outcome, Stack & stack) {
    settle_outcome(n, std::move(outcome), stack, stamp());
  }
  void settle_outcome(std::uint32_t n, Outcome outcome, Stack & stack, Clock::time_point finished);
  // Inline: every node settles through it. Counters that other drainers update at the same
  // time go through release_shared_successors().
  [[gnu::always_inline]] inline void release_successors(std::uint32_t n, const PlanNode& node,
                                                        Stack& stack);
  void release_shared_successors(std::uint32_t n, Stack & stack);
  void flush(Stack & stack);
  bool release_held(Stack & stack);
  void fail_run(std::uint32_t n);
  void cancel_everything();
  void finish();
  // The run's result, from its records (moved out) and what went wrong.
  void build_result(RunResult & result);

  RunSetup setup_;
  const Plan& plan_;
  std::vector<NodeResult> nodes_;
  // The mock standing in for each node, or null; empty when the run has no mocks.
  std::vector<const NodeMock*> mocks_;
  // Whether each node may have run before (RunOptions::repeated); empty when none may.
  std::vector<bool> repeated_;
  // Dependency counters: in the run state itself for small plans (no allocation per run).
  // Plain words, copied in one memcpy when the run starts (a store per node was 20
  // instructions of a chain node): a serial run updates them plainly, a parallel run through
  // shared() only.
  std::uint32_t small_pending_[small_plan];
  RunMemory::Counters large_pending_;
  std::uint32_t* const pending_;
  std::atomic_ref<std::uint32_t> shared(std::uint32_t node) const noexcept {
    return std::atomic_ref<std::uint32_t>(pending_[node]);
  }
  std::atomic<std::uint32_t> remaining_;
  // Only one thread ever drains this run (runs_serially): its counters need no atomic
  // updates. cancel() from another thread only touches detours_ and the mutex.
  const bool serial_;
  // Why a plain node (PlanNode::plain) may not go straight to run_inline(), as bits, so that
  // start_node() tests them all at once: the run is not plain (mocks, a dry run, repeated
  // nodes; set when it is made), a node did not succeed (dependents then check their
  // inputs), or the run is cancelling.
  static constexpr std::uint8_t not_plain = 1, irregular = 2, cancelling_now = 4;
  std::atomic<std::uint8_t> detours_;
  std::atomic<int> drainers_{0};
  std::atomic<Hunger> hunger_{Hunger::idle};
  ReadyStack mailbox_; // owned by whoever moved hunger_ to filling, or saw it full
  const bool observed_;
  // Node records are stamped from the counter (tick_clock.hpp), converted when taken or in
  // finish() (tick_scale_): in runs without observers, whose records' times nobody reads while they
  // run. Parallel runs too (a clock read per node was a quarter of a dag node's time on two
  // threads): readings from different cores agree where the counter is synchronised across them, as
  // the kernel checks before it keeps the counter as its own clock; where it is not, a time
  // is still clamped into the run's window.
  const bool ticks_;
  // Whether node records are stamped at all (RunOptions::node_times, or observers).
  const bool stamps_;
  // With ticks_: the process's measured rate when the run was made (TickRate), or 0. With a
  // rate, stamps are times when taken; without, raw readings that finish() converts.
  const std::uint64_t tick_scale_;
  Clock::time_point started_{};
  std::uint64_t started_ticks_ = 0;

  std::mutex mutex_; // guards what follows
  std::string error_;
  std::string failed_node_;
  bool user_cancelled_ = false;
  std::unordered_map<std::uint32_t, std::shared_ptr<Invocation>> active_;
  bool done_ = false; // blocking runs: result_ is set
  RunResult result_;  // blocking runs
  std::condition_variable done_cv_;

  std::function<void(RunResult)> on_done_;
  std::optional<std::stop_callback<StopRequested>> stop_callback_;
};

} // namespace sluice::detail
