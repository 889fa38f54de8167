// The executor. Design (see PERFORMANCE.md for the measurements behind it):
// - Every node has a dependency counter; a node becomes ready when it reaches zero.
// - Ready nodes go on a stack owned by the thread that made them ready, which drains it in a
//   loop. Nodes that never wait run inline there: no coroutine, no hand-off, no recursion
//   (so a million-node chain runs in constant stack).
// - When a stack grows and other threads are idle, half of it is posted to the pool.
// - Nodes that wait (async types, retries, timeouts, for_each) run as a coroutine on a strand
//   of their own; their completion settles the node and drains its successors.

#include "executor.hpp"
#include "credentials_source.hpp"
#include "tick_clock.hpp"

#include <sluice/detail/borrowed_array.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <random>
#include <stop_token>
#include <thread>
#include <unordered_map>

namespace sluice::detail {

namespace {

namespace asio = boost::asio;
using Strand = asio::strand<asio::any_io_executor>;
using Stack = std::vector<std::uint32_t>;

// A ready stack at least this deep may be split with an idle thread. Waking a pool thread
// costs ~1.6 us here (PERFORMANCE.md), so small plans stay on the caller's thread.
constexpr std::size_t split_threshold = 16;
// How long a drainer that ran out of work waits for another to hand it some, before it
// goes back to the pool. Handing work to a waiting drainer costs no wake-up.
constexpr std::chrono::microseconds hunger_patience{50};
// Plans of at most this many nodes keep their per-run counters inside the run state.
constexpr std::size_t small_plan = 16;
// Settings held on the stack for inline nodes; more spill to the heap.
constexpr std::size_t inline_settings = 8;

struct Outcome {
  bool ok = false;
  Value value;
  ErrorCategory category = ErrorCategory::internal;
  std::string message;
  std::uint32_t attempts = 1;
  /// For rate_limited failures: the delay the service asked for.
  std::optional<std::chrono::milliseconds> retry_after;
};

Outcome success(Value value) {
  return Outcome{true, std::move(value), {}, {}, 1, {}};
}
Outcome failure(ErrorCategory category, std::string message) {
  return Outcome{false, Value(), category, std::move(message), 1, {}};
}

// A thread's ready stack kept between the runs it drives (see RunState::begin), up to this
// many entries of capacity.
constexpr std::size_t max_spare_stack = 4096;
Stack& spare_stack() noexcept {
  thread_local Stack stack;
  return stack;
}

// Whether only one thread ever drains a run of `plan`: every node runs inline (none waits,
// so no completion arrives from another thread) and the ready stack can never be split (one
// thread, or fewer nodes than split_threshold).
bool runs_serially(const Plan& plan, unsigned threads) noexcept {
  return plan.all_inline && (threads < 2 || plan.nodes.size() < split_threshold);
}

// Turns whatever a node threw into an outcome.
Outcome classify(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const NodeError& e) {
    std::string message = e.what();
    if (!e.hint().empty())
      message += " (" + e.hint() + ")";
    Outcome outcome = failure(e.category(), std::move(message));
    outcome.retry_after = e.retry_after();
    return outcome;
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted)
      return failure(ErrorCategory::cancelled, "cancelled");
    return failure(ErrorCategory::transient, e.what());
  } catch (const TypeError& e) {
    return failure(ErrorCategory::invalid_input, e.what());
  } catch (const std::exception& e) {
    return failure(ErrorCategory::internal, e.what());
  } catch (...) {
    return failure(ErrorCategory::internal, "unknown exception");
  }
}

// The retry jitter's random engine: one per thread, seeded on first use. Seeding reads
// std::random_device, which executes CPUID (a hypervisor trap on a VM, ~2-3 us); doing that
// per run cost a quarter of a small run's time, and most runs never retry. Per thread, so
// drawing needs no lock.
std::minstd_rand& jitter_engine() {
  thread_local std::minstd_rand engine{std::random_device{}()};
  return engine;
}

// The item of a node that is not a for_each element (a file-level null: no call into the SDK
// for Value::null_value() per node).
const Value no_item;

// `{}`, shared: runs without inputs or outputs hand this out instead of allocating an empty
// object per run. Values are immutable and their reference count is atomic.
const Value& empty_object() {
  static const Value empty{Object{}};
  return empty;
}

std::string format_ms(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0)
    return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

// One async node invocation: state shared by its coroutines, all confined to `strand`.
struct Invocation : std::enable_shared_from_this<Invocation> {
  explicit Invocation(Strand s) : strand(std::move(s)) {}
  Strand strand;
  bool cancel_requested = false;
  // Timers the invocation's coroutines are waiting on; cancelling them wakes the waiters.
  std::vector<asio::steady_timer*> waits;

  void cancel_all() {
    cancel_requested = true;
    for (asio::steady_timer* timer : waits)
      timer->cancel();
  }
};

// A node coroutine in flight, raced against a deadline by its attempt.
struct Race {
  explicit Race(const Strand& strand) : wake(strand) {}
  asio::steady_timer wake;
  asio::cancellation_signal signal;
  bool done = false;
  std::exception_ptr error;
  Value value;
};

// Settings of an inline node, on the stack: room for inline_settings Values, constructed one
// by one straight from their evaluation (no null first, then an assignment: both are calls
// into the SDK). Lists of references among them may borrow their elements
// (ValueTemplate::eval_borrowing): the slots end the borrow when the node is done, while
// the run's results are alive.
class SettingSlots {
public:
  SettingSlots() noexcept = default;
  ~SettingSlots() {
    // end() releases any value and leaves it null, so no ~Value call is needed after it.
    for (Value& value : std::span<Value>(slots(), count_))
      detail::BorrowedArray::end(value);
  }
  SettingSlots(const SettingSlots&) = delete;
  SettingSlots& operator=(const SettingSlots&) = delete;
  /// Constructs the next slot from `make()`; at most inline_settings times.
  template <class Make> const Value& emplace(Make&& make) {
    Value* slot = ::new (slots() + count_) Value(make());
    ++count_;
    return *slot;
  }
  std::span<const Value> values() noexcept { return {slots(), count_}; }

private:
  Value* slots() noexcept { return std::launder(reinterpret_cast<Value*>(storage_)); }
  alignas(Value) std::byte storage_[inline_settings * sizeof(Value)];
  std::size_t count_ = 0;
};

class RunState;

class NodeContext final : public Context {
public:
  /// `item` must outlive the context (`no_item` for a node that is not a for_each element).
  NodeContext(RunState& run, std::uint32_t node, std::span<const Value> settings, const Value& item,
              std::int64_t index, int attempt, Invocation* invocation)
      : run_(run), node_(node), settings_(settings), item_(item), index_(index), attempt_(attempt),
        invocation_(invocation) {}

  std::string_view node_id() const noexcept override;
  const Value& setting(std::string_view name) const noexcept override;
  Value settings() const override;
  int attempt() const noexcept override { return attempt_; }
  const Value& item() const noexcept override { return item_; }
  std::int64_t index() const noexcept override { return index_; }
  asio::any_io_executor executor() const override;
  bool cancelled() const noexcept override;
  void log(LogLevel level, std::string_view message) override;
  CredentialStore& credentials() override;

private:
  RunState& run_;
  std::uint32_t node_;
  std::span<const Value> settings_;
  const Value& item_;
  std::int64_t index_;
  int attempt_;
  Invocation* invocation_;
};

// A context that owns its settings, for coroutines that outlive the caller's frame.
struct OwnedContext {
  OwnedContext(RunState& run, std::uint32_t node, std::vector<Value> values, Value element,
               std::int64_t index, int attempt, Invocation* invocation)
      : settings(std::move(values)), item(std::move(element)),
        context(run, node, settings, item, index, attempt, invocation) {}
  std::vector<Value> settings;
  Value item;
  NodeContext context;
};

class RunState final : public RunControl, public std::enable_shared_from_this<RunState> {
public:
  /// With an empty `on_done` the run is blocking: finish() keeps the result for wait().
  RunState(RunSetup&& setup, std::function<void(RunResult)> on_done)
      : setup_(std::move(setup)), plan_(*setup_.plan),
        pending_(plan_.nodes.size() <= small_plan
                     ? small_pending_
                     : (large_pending_ =
                            std::make_unique<std::atomic<std::uint32_t>[]>(plan_.nodes.size()))
                           .get()),
        remaining_(static_cast<std::uint32_t>(plan_.nodes.size())),
        serial_(runs_serially(plan_, setup_.threads)), observed_(!setup_.options.observers.empty()),
        ticks_(serial_ && !observed_ && tick_counter_usable()), on_done_(std::move(on_done)) {
    nodes_.reserve(plan_.nodes.size());
    for (std::size_t i = 0; i < plan_.nodes.size(); ++i) {
      nodes_.emplace_back(plan_.nodes[i].id);
      pending_[i].store(plan_.nodes[i].dependency_count, std::memory_order_relaxed);
    }
  }

  void begin(bool drive_here) override {
    started_ = Clock::now();
    if (ticks_)
      started_ticks_ = read_ticks();
    if (observed_) {
      Event e{EventKind::run_started, started_};
      emit(e);
    }
    if (setup_.options.stop.stop_possible())
      stop_callback_.emplace(setup_.options.stop, StopRequested{this});
    if (plan_.nodes.empty()) {
      finish();
      return;
    }
    if (drive_here) {
      const Clock::time_point first_mark = ticks_ ? raw_ticks(started_ticks_) : started_;
      // The calling thread's ready stack from its previous run, capacity and all (a run
      // nested inside a node on this thread finds none and makes its own).
      Stack stack = std::exchange(spare_stack(), Stack{});
      stack.reserve(std::min(plan_.nodes.size(), small_plan));
      stack.assign(plan_.roots.rbegin(), plan_.roots.rend());
      drain(stack, first_mark);
      if (stack.capacity() <= max_spare_stack && spare_stack().capacity() == 0)
        spare_stack() = std::move(stack);
    } else {
      Stack stack(plan_.roots.rbegin(), plan_.roots.rend());
      asio::post(setup_.pool, [self = shared_from_this(), stack = std::move(stack)]() mutable {
        self->drain(stack);
      });
    }
  }

  void cancel() override {
    {
      std::lock_guard lock(mutex_);
      if (error_.empty())
        user_cancelled_ = true;
    }
    cancel_everything();
  }

  /// For a blocking run: waits until it finished (usually it already has, when the caller
  /// drove it) and takes the result.
  RunResult wait() {
    if (serial_ && done_) // finished on this thread, inside begin(): see finish()
      return std::move(result_);
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [&] { return done_; });
    return std::move(result_);
  }

  const Plan& plan() const noexcept { return plan_; }
  bool cancelling() const noexcept { return cancelling_.load(std::memory_order_acquire); }
  const asio::any_io_executor& pool() const noexcept { return setup_.pool; }

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

  void emit_node(EventKind kind, std::uint32_t n, std::string_view message = {},
                 std::uint32_t attempt = 0, std::int64_t index = -1) {
    if (!observed_)
      return;
    Event e{kind, Clock::now(), plan_.nodes[n].id, index, attempt, message};
    e.category = nodes_[n].category;
    emit(e);
  }

  void emit_element(std::uint32_t n, std::size_t index, const Outcome& outcome) {
    if (!observed_)
      return;
    Event e{outcome.ok ? EventKind::node_succeeded : EventKind::node_failed,
            Clock::now(),
            plan_.nodes[n].id,
            static_cast<std::int64_t>(index),
            outcome.attempts,
            outcome.message};
    e.category = outcome.category;
    emit(e);
  }

  // ---- scheduling -------------------------------------------------------------------------

  // `mark` is the latest time this thread read the clock. steady_clock::now() costs 80-100 ns
  // on this VM (PERFORMANCE.md), as much as the rest of a small node's scheduling, so a node
  // run inline takes the previous node's finish time as its start time: one clock read per
  // node instead of two. What lies between the two is a pop from the ready stack.
  // A time stamp for a node's record: the clock, or in a run that keeps them (ticks_) a raw
  // counter reading, converted in finish().
  Clock::time_point stamp() const noexcept {
    return ticks_ ? raw_ticks(read_ticks()) : Clock::now();
  }

  void drain(Stack& stack) { drain(stack, stamp()); }
  void drain(Stack& stack, Clock::time_point mark) {
    drainers_.fetch_add(1, std::memory_order_relaxed);
    for (;;) {
      while (!stack.empty()) {
        if (stack.size() >= 2 && hunger_.load(std::memory_order_relaxed) == Hunger::waiting)
          donate(stack);
        else if (stack.size() >= split_threshold &&
                 drainers_.load(std::memory_order_relaxed) < static_cast<int>(setup_.threads))
          split(stack);
        const std::uint32_t n = stack.back();
        stack.pop_back();
        start_node(n, stack, mark);
      }
      if (setup_.threads < 2 || !await_donation(stack))
        break;
      mark = stamp();
    }
    drainers_.fetch_sub(1, std::memory_order_relaxed);
  }

  // Work sharing between drainers without a wake-up. A drainer whose stack ran dry waits a
  // little (hunger_patience) in `waiting`; a busy drainer that sees it moves the older half
  // of its stack into `mailbox_` (`waiting` -> `filling` -> `full`) and the waiter takes it.
  // The waiter gives up only by winning `waiting` -> `idle`, so work put in the mailbox is
  // never stranded. At most one drainer waits at a time.
  enum class Hunger { idle, waiting, filling, full };

  bool await_donation(Stack& stack) {
    if (remaining_.load(std::memory_order_acquire) == 0 || cancelling())
      return false;
    Hunger expected = Hunger::idle;
    if (!hunger_.compare_exchange_strong(expected, Hunger::waiting, std::memory_order_acq_rel))
      return false;
    const auto give_up = Clock::now() + hunger_patience;
    for (unsigned spins = 0;; ++spins) {
      Hunger state = hunger_.load(std::memory_order_acquire);
      if (state == Hunger::full) {
        stack.swap(mailbox_);
        hunger_.store(Hunger::idle, std::memory_order_release);
        return true;
      }
      // The clock is slow here (~90 ns): look at it every 64 spins.
      const bool over = remaining_.load(std::memory_order_acquire) == 0 || cancelling() ||
                        (spins % 64 == 63 && Clock::now() > give_up);
      if (state == Hunger::waiting && over &&
          hunger_.compare_exchange_strong(state, Hunger::idle, std::memory_order_acq_rel))
        return false;
      // Two vCPUs shared with other work: let the donor (or anything else) run.
      std::this_thread::yield();
    }
  }

  void donate(Stack& stack) {
    Hunger expected = Hunger::waiting;
    if (!hunger_.compare_exchange_strong(expected, Hunger::filling, std::memory_order_acq_rel))
      return;
    const auto half = static_cast<std::ptrdiff_t>(stack.size() / 2);
    mailbox_.assign(stack.begin(), stack.begin() + half);
    stack.erase(stack.begin(), stack.begin() + half);
    hunger_.store(Hunger::full, std::memory_order_release);
  }

  // Gives the older half of the stack to an idle pool thread.
  void split(Stack& stack) {
    const std::size_t half = stack.size() / 2;
    Stack part(stack.begin(), stack.begin() + static_cast<std::ptrdiff_t>(half));
    stack.erase(stack.begin(), stack.begin() + static_cast<std::ptrdiff_t>(half));
    // Counted now, so a burst of splits does not hand work to more threads than exist.
    drainers_.fetch_add(1, std::memory_order_relaxed);
    asio::post(setup_.pool, [self = shared_from_this(), part = std::move(part)]() mutable {
      self->drainers_.fetch_sub(1, std::memory_order_relaxed);
      self->drain(part);
    });
  }

  void start_node(std::uint32_t n, Stack& stack, Clock::time_point& mark) {
    const PlanNode& node = plan_.nodes[n];
    NodeResult& record = nodes_[n];
    if (cancelling()) {
      settle_unstarted(n, NodeStatus::cancelled, not_started_reason(), stack);
      return;
    }
    if (irregular_.load(std::memory_order_acquire)) {
      for (std::uint32_t dep : plan_.dependencies(n)) {
        const NodeResult& d = nodes_[dep];
        if (d.status == NodeStatus::cancelled || (d.status == NodeStatus::failed && !d.tolerated)) {
          settle_unstarted(n, NodeStatus::cancelled,
                           "not started: dependency '" + std::string(d.id) + "' did not finish",
                           stack);
          return;
        }
        // A node with its own `if:` opts in: it decides for itself (skipped outputs are null).
        if (d.status == NodeStatus::skipped && !node.extra().condition) {
          settle_unstarted(n, NodeStatus::skipped,
                           "dependency '" + std::string(d.id) + "' was skipped", stack);
          return;
        }
      }
    }
    if (node.extras && node.extras->condition) {
      Value verdict;
      try {
        verdict = node.extras->condition->eval(scope(nullptr, -1));
      } catch (const std::exception& e) {
        record.started = stamp();
        settle_outcome(
            n,
            failure(ErrorCategory::invalid_input, std::string("cannot evaluate 'if': ") + e.what()),
            stack);
        return;
      }
      if (!verdict.truthy()) {
        settle_unstarted(n, NodeStatus::skipped, "condition is false", stack);
        return;
      }
    }
    if (node.inline_fast_path)
      run_inline(n, stack, mark);
    else
      spawn_async(n);
  }

  std::string not_started_reason() {
    std::lock_guard lock(mutex_);
    if (!failed_node_.empty())
      return "not started: the run failed at node '" + failed_node_ + "'";
    return "not started: the run was cancelled";
  }

  // Resolves settings (templates, defaults) in order into `slots` (SettingSlots or
  // SettingVector), and checks their types after evaluation, since a template that is one
  // reference can only be typed at run time. Stops at the first that does not fit and
  // returns false: settings_problem() then says why (no message is built otherwise).
  template <class Slots>
  bool resolve_settings(std::uint32_t n, const Value* item, std::int64_t index, Slots& slots,
                        bool borrow = false) const {
    const EvalScope s = scope(item, index);
    const auto& specs = plan_.nodes[n].type->spec.settings;
    const std::span<const ValueTemplate> settings = plan_.settings(n);
    for (std::size_t i = 0; i < settings.size(); ++i) {
      const ValueTemplate& setting = settings[i];
      const Value& v = slots.emplace([&] {
        if (setting.is_constant())
          return setting.constant();
        return borrow ? setting.eval_borrowing(s) : setting.eval(s);
      });
      if (v.is_null() ? specs[i].required : !accepts(specs[i].type, v))
        return false;
    }
    return true;
  }

  // Why resolve_settings() stopped: `values` are the settings it stored, the last one bad.
  std::string settings_problem(std::uint32_t n, std::span<const Value> values) const {
    const auto& specs = plan_.nodes[n].type->spec.settings;
    const std::size_t i = values.size() - 1;
    const Value& v = values[i];
    if (v.is_null())
      return "setting '" + specs[i].name + "' is required but evaluated to null";
    return "setting '" + specs[i].name + "' expects " + std::string(to_string(specs[i].type)) +
           ", got " + std::string(to_string(v.type()));
  }

  // Settings on the heap: an inline node with more than inline_settings of them, or a
  // waiting node (whose context owns them: take()).
  class SettingVector {
  public:
    explicit SettingVector(std::size_t count) { values_.reserve(count); }
    template <class Make> const Value& emplace(Make&& make) { return values_.emplace_back(make()); }
    std::span<const Value> values() const noexcept { return values_; }
    std::vector<Value> take() && noexcept { return std::move(values_); }

  private:
    std::vector<Value> values_;
  };

  void run_inline(std::uint32_t n, Stack& stack, Clock::time_point& mark) {
    // Only the slots used are constructed and destroyed: ~Value is a call into the SDK, and
    // a std::array would pay it for all of them on every node.
    const std::size_t count = plan_.nodes[n].setting_count;
    if (count <= inline_settings) {
      SettingSlots slots;
      run_inline_with(n, stack, mark, slots, /*borrow=*/true);
    } else {
      SettingVector slots(count);
      run_inline_with(n, stack, mark, slots, /*borrow=*/false);
    }
  }

  template <class Slots>
  void run_inline_with(std::uint32_t n, Stack& stack, Clock::time_point& mark, Slots& slots,
                       bool borrow) {
    const PlanNode& node = plan_.nodes[n];
    NodeResult& record = nodes_[n];
    record.started = mark;
    record.attempts = 1;
    emit_node(EventKind::node_started, n, {}, 1);
    if (!resolve_settings(n, nullptr, -1, slots, borrow)) {
      mark = stamp();
      settle_outcome(n, failure(ErrorCategory::invalid_input, settings_problem(n, slots.values())),
                     stack, mark);
      return;
    }
    // An Outcome is built only for a failure: a success goes straight into the record, as
    // passing it through an Outcome cost three more moves of the Value (calls into the SDK)
    // plus the string and optional beside it.
    std::exception_ptr error;
    {
      NodeContext context(*this, n, slots.values(), no_item, -1, 1, nullptr);
      // The output is built in place: the record's output is null until now, and a move
      // assignment plus the temporary's destructor were two more calls into the SDK. (A
      // null Value owns nothing, so constructing over it without its destructor is safe.)
      Value* output = &nodes_[n].output;
      try {
        ::new (output) Value(node.type->run_sync(context));
      } catch (...) {
        ::new (output) Value();
        error = std::current_exception();
      }
    }
    // Settled outside the try: nothing thrown while settling is taken for the node's failure.
    mark = stamp();
    if (!error)
      settle_success(n, stack, mark);
    else
      settle_outcome(n, classify(error), stack, mark);
  }

  void spawn_async(std::uint32_t n) {
    auto invocation = std::make_shared<Invocation>(asio::make_strand(setup_.pool));
    {
      std::lock_guard lock(mutex_);
      active_.emplace(n, invocation);
      if (cancelling())
        invocation->cancel_requested = true;
    }
    // Posted, never dispatched: starting inline from a drain would nest drains (and the
    // stack) when a coroutine completes without suspending.
    asio::post(invocation->strand, [self = shared_from_this(), n, invocation] {
      asio::co_spawn(invocation->strand, self->run_async_node(self, n, invocation), asio::detached);
    });
  }

  // ---- async nodes --------------------------------------------------------------------------

  // `self` keeps the run alive while the coroutine is suspended.
  asio::awaitable<void> run_async_node([[maybe_unused]] std::shared_ptr<RunState> self,
                                       std::uint32_t n, std::shared_ptr<Invocation> invocation) {
    const PlanNode& node = plan_.nodes[n];
    nodes_[n].started = stamp();
    Outcome outcome;
    if (node.extra().for_each) {
      Value list;
      try {
        list = node.extra().for_each->eval(scope(nullptr, -1));
      } catch (const std::exception& e) {
        outcome = failure(ErrorCategory::invalid_input,
                          std::string("cannot evaluate 'for_each': ") + e.what());
      }
      if (!list.is_array() && outcome.message.empty())
        outcome = failure(ErrorCategory::invalid_input, "'for_each' must evaluate to a list, got " +
                                                            std::string(to_string(list.type())));
      else if (list.is_array())
        outcome = co_await run_items(n, *invocation, list);
    } else {
      outcome = co_await run_with_retries(n, *invocation, Value(), -1);
    }
    {
      std::lock_guard lock(mutex_);
      active_.erase(n);
    }
    if (invocation->cancel_requested && !outcome.ok && cancelling())
      outcome.category = outcome.category == ErrorCategory::timeout ? ErrorCategory::timeout
                                                                    : ErrorCategory::cancelled;
    Stack stack;
    settle_outcome(n, std::move(outcome), stack);
    drain(stack);
  }

  // Runs every element of a for_each list, at most `concurrency` at a time, and gathers the
  // outputs in input order. The first element to fail cancels the others.
  asio::awaitable<Outcome> run_items(std::uint32_t n, Invocation& invocation, const Value& list) {
    const PlanNode& node = plan_.nodes[n];
    const auto items = list.as_array();
    const std::size_t count = items.size();
    if (count == 0)
      co_return success(Value(Array{}));
    const std::size_t workers = node.extra().concurrency == 0
                                    ? count
                                    : std::min<std::size_t>(node.extra().concurrency, count);

    struct Gather {
      std::vector<Outcome> outcomes;
      std::size_t next = 0;
      std::size_t running = 0;
      std::optional<std::size_t> failed; // the element whose failure fails the node
    };
    auto gather = std::make_shared<Gather>();
    gather->outcomes.resize(count);
    asio::steady_timer all_done(invocation.strand, asio::steady_timer::time_point::max());

    auto self = shared_from_this();
    for (std::size_t w = 0; w < workers; ++w) {
      ++gather->running;
      asio::co_spawn(
          invocation.strand,
          [self, n, &invocation, list, gather, &all_done]() -> asio::awaitable<void> {
            const auto elements = list.as_array();
            while (gather->next < elements.size() && !gather->failed &&
                   !invocation.cancel_requested) {
              const std::size_t i = gather->next++;
              Outcome o = co_await self->run_with_retries(n, invocation, elements[i],
                                                          static_cast<std::int64_t>(i));
              self->emit_element(n, i, o);
              if (!o.ok && !gather->failed && !invocation.cancel_requested) {
                gather->failed = i;
                o.message = "element " + std::to_string(i) + ": " + o.message;
                invocation.cancel_all(); // the node fails: stop the siblings
              }
              gather->outcomes[i] = std::move(o);
            }
            if (--gather->running == 0)
              all_done.cancel();
          },
          asio::detached);
    }
    if (gather->running > 0)
      co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));

    Array outputs;
    outputs.reserve(count);
    std::uint32_t attempts = 0;
    for (const Outcome& o : gather->outcomes) {
      attempts = std::max(attempts, o.attempts);
      outputs.push_back(o.value);
    }
    if (gather->failed) {
      Outcome failed = gather->outcomes[*gather->failed];
      failed.attempts = attempts;
      co_return failed;
    }
    if (invocation.cancel_requested)
      co_return failure(ErrorCategory::cancelled, "cancelled");
    Outcome done = success(Value(std::move(outputs)));
    done.attempts = attempts;
    co_return done;
  }

  std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, std::uint32_t attempt) {
    // Exponential with jitter: base * 2^(attempt-1), capped, then scaled into [50%, 100%].
    double base = static_cast<double>(policy.backoff.count());
    for (std::uint32_t i = 1; i < attempt && base < 1e12; ++i)
      base *= 2;
    base = std::min(base, static_cast<double>(policy.max_backoff.count()));
    const double factor = std::uniform_real_distribution<double>(0.5, 1.0)(jitter_engine());
    return std::chrono::milliseconds(static_cast<std::int64_t>(base * factor));
  }

  asio::awaitable<Outcome> run_with_retries(std::uint32_t n, Invocation& invocation, Value item,
                                            std::int64_t index) {
    const PlanNode& node = plan_.nodes[n];
    for (std::uint32_t attempt = 1;; ++attempt) {
      Outcome outcome = co_await run_attempt(n, invocation, item, index, attempt);
      outcome.attempts = attempt;
      {
        NodeResult& record = nodes_[n];
        record.attempts = std::max(record.attempts, attempt);
      }
      if (outcome.ok || invocation.cancel_requested || cancelling())
        co_return outcome;
      if (!is_retryable(outcome.category) || attempt >= node.extra().retry.attempts)
        co_return outcome;
      // An action that is not idempotent may have taken effect before it failed; only a
      // rate-limit refusal is known to have done nothing.
      if (!node.type->spec.idempotent && outcome.category != ErrorCategory::rate_limited) {
        outcome.message += " (not retried: " + node.type->spec.type +
                           " is not idempotent and may have taken effect)";
        co_return outcome;
      }
      std::chrono::milliseconds delay = backoff_delay(node.extra().retry, attempt);
      if (outcome.category == ErrorCategory::rate_limited && outcome.retry_after)
        delay = *outcome.retry_after;
      if (observed_) {
        const std::string message = outcome.message + "; retrying in " + format_ms(delay);
        Event e{EventKind::node_retrying, Clock::now(), node.id, index, attempt, message};
        e.category = outcome.category;
        e.delay = delay;
        emit(e);
      }
      asio::steady_timer timer(invocation.strand, delay);
      invocation.waits.push_back(&timer);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      std::erase(invocation.waits, &timer);
      if (invocation.cancel_requested || cancelling())
        co_return failure(ErrorCategory::cancelled, "cancelled while waiting to retry");
    }
  }

  asio::awaitable<Outcome> run_attempt(std::uint32_t n, Invocation& invocation, const Value& item,
                                       std::int64_t index, std::uint32_t attempt) {
    const PlanNode& node = plan_.nodes[n];
    SettingVector values(node.setting_count);
    if (!resolve_settings(n, index >= 0 ? &item : nullptr, index, values))
      co_return failure(ErrorCategory::invalid_input, settings_problem(n, values.values()));
    auto owned = std::make_shared<OwnedContext>(*this, n, std::move(values).take(), item, index,
                                                static_cast<int>(attempt), &invocation);
    emit_node(EventKind::node_started, n, {}, attempt, index);

    if (node.type->run_sync) {
      try {
        co_return success(node.type->run_sync(owned->context));
      } catch (...) {
        co_return classify(std::current_exception());
      }
    }

    auto race = std::make_shared<Race>(invocation.strand);
    asio::co_spawn(
        invocation.strand,
        // Holds the run, the invocation and the context: an abandoned node may outlive both
        // the attempt and the run.
        [type = node.type, owned, self = shared_from_this(), keep = invocation.shared_from_this()]()
            -> asio::awaitable<Value> { co_return co_await type->run_async(owned->context); },
        asio::bind_cancellation_slot(race->signal.slot(),
                                     [race](std::exception_ptr error, Value value) {
                                       race->done = true;
                                       race->error = error;
                                       race->value = std::move(value);
                                       race->wake.cancel();
                                     }));

    const std::optional<std::chrono::milliseconds>& timeout = node.extra().timeout;
    const auto deadline = timeout ? Clock::now() + *timeout : asio::steady_timer::time_point::max();
    invocation.waits.push_back(&race->wake);
    bool timed_out = false;
    bool abandoned = false;
    if (!race->done && !invocation.cancel_requested) {
      race->wake.expires_at(deadline);
      co_await race->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!race->done) {
      timed_out = !invocation.cancel_requested;
      race->signal.emit(asio::cancellation_type::terminal);
      // Bounded grace: a node that ignores cancellation is abandoned, not waited for. Later
      // wake-ups (another cancellation) do not shorten the grace period.
      const auto grace_end = Clock::now() + setup_.options.cancel_grace;
      while (!race->done && Clock::now() < grace_end) {
        race->wake.expires_at(grace_end);
        co_await race->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      abandoned = !race->done;
    }
    std::erase(invocation.waits, &race->wake);

    if (abandoned) {
      if (setup_.abandoned_nodes)
        setup_.abandoned_nodes->fetch_add(1, std::memory_order_relaxed);
      std::string why = timed_out ? "timed out after " + format_ms(*timeout) : "cancelled";
      co_return failure(timed_out ? ErrorCategory::timeout : ErrorCategory::cancelled,
                        why + " and did not stop within " + format_ms(setup_.options.cancel_grace) +
                            "; abandoned");
    }
    if (timed_out)
      co_return failure(ErrorCategory::timeout, "timed out after " + format_ms(*timeout));
    if (race->error)
      co_return classify(race->error);
    co_return success(std::move(race->value));
  }

  // ---- settling -----------------------------------------------------------------------------

  void settle_unstarted(std::uint32_t n, NodeStatus status, std::string reason, Stack& stack) {
    NodeResult& record = nodes_[n];
    record.status = status;
    record.started = record.finished = stamp();
    record.message = std::move(reason);
    if (status == NodeStatus::cancelled)
      record.category = ErrorCategory::cancelled;
    emit_node(status == NodeStatus::skipped ? EventKind::node_skipped : EventKind::node_cancelled,
              n, record.message);
    irregular_.store(true, std::memory_order_release);
    release_successors(n, stack);
  }

  // A success whose output is already in the node's record.
  void settle_success(std::uint32_t n, Stack& stack, Clock::time_point finished) {
    NodeResult& record = nodes_[n];
    record.finished = finished;
    record.status = NodeStatus::succeeded;
    emit_node(EventKind::node_succeeded, n, {}, record.attempts);
    release_successors(n, stack);
  }

  void settle_outcome(std::uint32_t n, Outcome outcome, Stack& stack) {
    settle_outcome(n, std::move(outcome), stack, stamp());
  }
  void settle_outcome(std::uint32_t n, Outcome outcome, Stack& stack, Clock::time_point finished) {
    const PlanNode& node = plan_.nodes[n];
    NodeResult& record = nodes_[n];
    record.finished = finished;
    record.attempts = std::max(record.attempts, outcome.attempts);
    if (outcome.ok) {
      record.output = std::move(outcome.value);
      settle_success(n, stack, finished);
      return;
    }
    if (outcome.category == ErrorCategory::cancelled && cancelling()) {
      record.status = NodeStatus::cancelled;
      record.category = ErrorCategory::cancelled;
      record.message = outcome.message;
      emit_node(EventKind::node_cancelled, n, record.message, record.attempts);
      irregular_.store(true, std::memory_order_release);
    } else {
      record.status = NodeStatus::failed;
      record.category = outcome.category;
      record.message = std::move(outcome.message);
      record.tolerated = node.on_error == OnError::proceed;
      emit_node(EventKind::node_failed, n, record.message, record.attempts);
      irregular_.store(true, std::memory_order_release);
      if (!record.tolerated)
        fail_run(n);
    }
    release_successors(n, stack);
  }

  void release_successors(std::uint32_t n, Stack& stack) {
    if (serial_) {
      // One thread runs the whole plan: plain loads and stores, no locked instructions
      // (an atomic read-modify-write is ~20 cycles, and a small plan does one per edge).
      for (std::uint32_t s : plan_.successors(n)) {
        const std::uint32_t left = pending_[s].load(std::memory_order_relaxed) - 1;
        pending_[s].store(left, std::memory_order_relaxed);
        if (left == 0)
          stack.push_back(s);
      }
      const std::uint32_t left = remaining_.load(std::memory_order_relaxed) - 1;
      remaining_.store(left, std::memory_order_relaxed);
      if (left == 0)
        finish();
      return;
    }
    for (std::uint32_t s : plan_.successors(n))
      if (pending_[s].fetch_sub(1, std::memory_order_acq_rel) == 1)
        stack.push_back(s);
    // Last: once this reaches zero another thread may finish the run and hand it away.
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      finish();
  }

  void fail_run(std::uint32_t n) {
    {
      std::lock_guard lock(mutex_);
      if (error_.empty()) {
        failed_node_ = plan_.nodes[n].id;
        error_ = "node '" + failed_node_ + "' failed: " + nodes_[n].message;
        user_cancelled_ = false;
      }
    }
    cancel_everything();
  }

  void cancel_everything() {
    if (cancelling_.exchange(true, std::memory_order_acq_rel))
      return;
    std::vector<std::shared_ptr<Invocation>> active;
    {
      std::lock_guard lock(mutex_);
      for (auto& [n, invocation] : active_)
        active.push_back(invocation);
    }
    for (auto& invocation : active)
      asio::post(invocation->strand, [invocation] { invocation->cancel_all(); });
  }

  void finish() {
    // A blocking serial run finishes on the thread that called begin() and will call wait()
    // once it returns: the result is built where wait() takes it, with no lock and no
    // notification.
    const bool here = !on_done_ && serial_;
    RunResult local;
    RunResult& result = here ? result_ : local;
    result.started = started_;
    if (serial_) {
      // Only this thread writes error_ and failed_node_ in a serial run (fail_run runs on
      // the draining thread; cancel() from elsewhere only reads them): no lock to read.
      result.error = error_;
      result.failed_node = failed_node_;
    } else {
      std::lock_guard lock(mutex_);
      result.error = error_;
      result.failed_node = failed_node_;
    }
    if (!result.error.empty())
      result.status = RunStatus::failed;
    else if (cancelling())
      result.status = RunStatus::cancelled;
    else
      result.status = RunStatus::succeeded;
    if (result.status == RunStatus::cancelled)
      result.error = "the run was cancelled";
    if (result.status == RunStatus::succeeded && plan_.outputs.empty()) {
      result.outputs = empty_object();
    } else if (result.status == RunStatus::succeeded) {
      Object outputs;
      outputs.reserve(plan_.outputs.size());
      const EvalScope s = scope(nullptr, -1);
      for (const PlanOutput& output : plan_.outputs)
        outputs.emplace_back(output.name, output.value.eval(s));
      result.outputs = Value(std::move(outputs));
    }
    result.finished = Clock::now();
    if (ticks_) {
      const TickSpan span(started_, started_ticks_, result.finished, read_ticks());
      for (NodeResult& record : nodes_) {
        record.started = span.to_time(record.started);
        record.finished = span.to_time(record.finished);
      }
    }
    if (observed_) {
      Event e{EventKind::run_finished, result.finished};
      e.run_status = result.status;
      e.message = result.error;
      emit(e);
    }
    result.nodes = std::move(nodes_);
    if (here) {
      // Nothing reads the plan after this (plan_ stays valid: the result keeps it alive
      // until wait() hands it over), so its reference moves instead of being counted.
      result.plan_owner = std::move(setup_.plan);
      done_ = true;
      return;
    }
    result.plan_owner = setup_.plan;
    if (!on_done_) {
      // Blocking run: the waiter holds a reference to this RunState, so notifying under the
      // lock cannot touch a destroyed condition variable. No futex call when nobody waits
      // (the common case: the caller's thread finished the run itself).
      std::lock_guard lock(mutex_);
      result_ = std::move(result);
      done_ = true;
      done_cv_.notify_all();
      return;
    }
    auto on_done = std::move(on_done_);
    on_done(std::move(result));
  }

  RunSetup setup_;
  const Plan& plan_;
  std::vector<NodeResult> nodes_;
  // Dependency counters: in the run state itself for small plans (no allocation per run).
  std::atomic<std::uint32_t> small_pending_[small_plan];
  std::unique_ptr<std::atomic<std::uint32_t>[]> large_pending_;
  std::atomic<std::uint32_t>* const pending_;
  std::atomic<std::uint32_t> remaining_;
  // Only one thread ever drains this run (runs_serially): its counters need no atomic
  // updates. cancel() from another thread only touches cancelling_ and the mutex.
  const bool serial_;
  std::atomic<bool> cancelling_{false};
  // Set once any node did not succeed; until then dependents skip checking their inputs.
  std::atomic<bool> irregular_{false};
  std::atomic<int> drainers_{0};
  std::atomic<Hunger> hunger_{Hunger::idle};
  Stack mailbox_; // owned by whoever moved hunger_ to filling, or saw it full
  const bool observed_;
  // Node records hold raw counter readings until finish() converts them (tick_clock.hpp):
  // only in serial runs without observers, whose records nobody reads while they run.
  const bool ticks_;
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

  friend class NodeContext;
};

std::string_view NodeContext::node_id() const noexcept {
  return run_.plan().nodes[node_].id;
}

const Value& NodeContext::setting(std::string_view name) const noexcept {
  const auto& specs = run_.plan().nodes[node_].type->spec.settings;
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (specs[i].name == name)
      return settings_[i];
  return Value::null_value();
}

Value NodeContext::settings() const {
  const auto& specs = run_.plan().nodes[node_].type->spec.settings;
  Object members;
  members.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i)
    members.emplace_back(specs[i].name, settings_[i]);
  return Value(std::move(members));
}

asio::any_io_executor NodeContext::executor() const {
  if (invocation_)
    return invocation_->strand;
  return run_.pool();
}

bool NodeContext::cancelled() const noexcept {
  return run_.cancelling() || (invocation_ && invocation_->cancel_requested);
}

void NodeContext::log(LogLevel level, std::string_view message) {
  run_.log(node_, index_, attempt_, level, message);
}

CredentialStore& NodeContext::credentials() {
  if (!run_.setup_.credentials)
    throw CredentialError(CredentialError::Kind::unavailable,
                          "this run has no connection store (it was started without an engine)");
  return run_.setup_.credentials->get();
}

} // namespace

std::shared_ptr<RunControl> make_run(RunSetup setup, std::function<void(RunResult)> on_done) {
  return std::make_shared<RunState>(std::move(setup), std::move(on_done));
}

RunResult run_blocking(RunSetup setup) {
  if (runs_serially(*setup.plan, setup.threads)) {
    // Everything happens on this thread before begin() returns, and nothing takes a
    // shared_from_this() (that is for splits and coroutines): the run state can live on
    // the stack, which saves its allocation and reference counting on every small run.
    RunState run(std::move(setup), nullptr);
    run.begin(/*drive_here=*/true);
    return run.wait();
  }
  auto run = std::make_shared<RunState>(std::move(setup), nullptr);
  run->begin(/*drive_here=*/true);
  return run->wait();
}

Value resolve_inputs(const Plan& plan, const Value& given) {
  if (plan.inputs.empty() && given.is_null())
    return empty_object();
  if (!given.is_null() && !given.is_object())
    throw InputError("inputs must be an object of name: value");
  if (given.is_object()) {
    for (const auto& [name, value] : given.as_object()) {
      const bool declared = std::any_of(plan.inputs.begin(), plan.inputs.end(),
                                        [&](const InputInfo& i) { return i.name == name; });
      if (!declared) {
        std::string known;
        for (const InputInfo& i : plan.inputs)
          known += (known.empty() ? "" : ", ") + i.name;
        throw InputError(
            "unknown input '" + name + "'" +
            (known.empty() ? "; this pipeline has no inputs" : "; declared inputs: " + known));
      }
    }
  }
  Object resolved;
  resolved.reserve(plan.inputs.size());
  for (const InputInfo& input : plan.inputs) {
    const Value* value = given.find(input.name);
    if (!value || value->is_null()) {
      if (input.default_value) {
        resolved.emplace_back(input.name, *input.default_value);
        continue;
      }
      if (input.required)
        throw InputError("missing required input '" + input.name + "' (" +
                         std::string(to_string(input.type)) + ")");
      resolved.emplace_back(input.name, Value());
      continue;
    }
    if (!accepts(input.type, *value))
      throw InputError("input '" + input.name + "' expects " + std::string(to_string(input.type)) +
                       ", got " + std::string(to_string(value->type())));
    resolved.emplace_back(input.name, *value);
  }
  return Value(std::move(resolved));
}

} // namespace sluice::detail
