// Owns how a run's nodes are scheduled and settled: the ready stacks and the work they hand
// between threads, inline nodes, successors' counters, cancellation and the result.

#include "run_state.hpp"

#include "limit_text.hpp"

#include <sluice/detail/approximate_size.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>

namespace sluice::detail {

namespace asio = boost::asio;

namespace {

// How long a drainer that ran out of work waits for another to hand it some, before it
// goes back to the pool. Handing work to a waiting drainer costs no wake-up.
constexpr std::chrono::microseconds hunger_patience{50};

// A thread's ready stack kept between the runs it drives (see RunState::begin), up to this
// many entries of capacity.
constexpr std::size_t max_spare_stack = 4096;
ReadyStack& spare_stack() noexcept {
  thread_local ReadyStack stack;
  return stack;
}

// The item of a node that is not a for_each element (a file-level null: no call into the SDK
// for Value::null_value() per node).
const Value no_item;

} // namespace

RunState::RunState(RunSetup&& setup, std::function<void(RunResult)> on_done)
    : setup_(std::move(setup)), plan_(*setup_.plan),
      pending_(plan_.nodes.size() <= small_plan
                   ? small_pending_
                   : (large_pending_ = plan_.memory.take_counters(plan_.nodes.size())).get()),
      remaining_(static_cast<std::uint32_t>(plan_.nodes.size())), serial_(runs_serially(setup_)),
      detours_(setup_.options.mocks.empty() && !setup_.dry_run && setup_.options.repeated.empty()
                   ? 0
                   : not_plain),
      observed_(!setup_.options.observers.empty()),
      ticks_(!observed_ && setup_.options.node_times && tick_counter_usable()),
      stamps_(observed_ || setup_.options.node_times),
      tick_scale_(ticks_ ? TickRate::process().scale() : 0), on_done_(std::move(on_done)) {
  if (plan_.nodes.size() > RunMemory::min_nodes)
    nodes_ = plan_.memory.take_records();
  if (nodes_.size() != plan_.nodes.size()) { // else each is new already (give_records)
    nodes_.clear();
    nodes_.reserve(plan_.nodes.size());
    for (const PlanNode& node : plan_.nodes)
      nodes_.emplace_back(node.id);
  }
  // Before any other thread can see the run: begin() posts it with the stack it drains.
  // (memcpy's pointers must not be null even for no bytes: a plan without nodes has none.)
  if (!plan_.nodes.empty())
    std::memcpy(pending_, plan_.dependency_counts.data(),
                plan_.nodes.size() * sizeof(std::uint32_t));
  // Checked by the engine before the run (check_mocks): every mock names a node.
  if (!setup_.options.mocks.empty()) {
    mocks_.assign(plan_.nodes.size(), nullptr);
    for (const NodeMock& mock : setup_.options.mocks)
      for (std::size_t i = 0; i < plan_.nodes.size(); ++i)
        if (plan_.nodes[i].id == mock.node)
          mocks_[i] = &mock;
  }
  if (!setup_.options.repeated.empty()) {
    repeated_.assign(plan_.nodes.size(), false);
    for (const RepeatedNode& repeated : setup_.options.repeated)
      for (std::size_t i = 0; i < plan_.nodes.size(); ++i)
        if (plan_.nodes[i].id == repeated.node)
          repeated_[i] = true;
  }
}

RunState::~RunState() {
  if (large_pending_)
    plan_.memory.give_counters(std::move(large_pending_));
}

void RunState::begin(bool drive_here) {
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
    const Clock::time_point first_mark = !stamps_                     ? Clock::time_point{}
                                         : ticks_ && tick_scale_ == 0 ? raw_ticks(started_ticks_)
                                                                      : started_;
    // The calling thread's ready stack from its previous run, capacity and all (a run
    // nested inside a node on this thread finds none and makes its own).
    Stack stack{std::exchange(spare_stack(), ReadyStack{})};
    stack.nodes.reserve(std::min(plan_.nodes.size(), small_plan));
    stack.nodes.assign_reversed(plan_.roots);
    drain(stack, first_mark);
    if (stack.nodes.capacity() <= max_spare_stack && spare_stack().capacity() == 0)
      spare_stack() = std::move(stack.nodes);
  } else {
    Stack stack;
    stack.nodes.assign_reversed(plan_.roots);
    asio::post(
        setup_.workers->next(),
        [self = shared_from_this(), stack = std::move(stack)]() mutable { self->drain(stack); });
  }
}

void RunState::cancel() {
  {
    std::lock_guard lock(mutex_);
    if (error_.empty())
      user_cancelled_ = true;
  }
  cancel_everything();
}

// ---- scheduling -----------------------------------------------------------------------------

// `mark` is the latest time this thread read the clock. steady_clock::now() costs 80-100 ns on
// the 2-core machines we build on (docs/performance.md), as much as the rest of a small node's
// scheduling, so a node run inline takes the previous node's finish time as its start time:
// one clock read per node instead of two. What lies between the two is a pop from the ready
// stack.
void RunState::drain(Stack& stack, Clock::time_point mark, bool counted) {
  if (!counted)
    drainers_.fetch_add(1, std::memory_order_relaxed);
  const Workers::Busy busy(*setup_.workers);
  NodeContext context(*this, 0, {}, no_item, -1, 1, nullptr);
  stack.context = &context;
  for (;;) {
    while (!stack.nodes.empty()) {
      // A serial run has nobody to share with (runs_serially).
      if (serial_ || stack.nodes.size() < 2) {
      } else if (hunger_.load(std::memory_order_relaxed) == Hunger::waiting) {
        donate(stack);
      } else if (stack.nodes.size() >= split_threshold &&
                 drainers_.load(std::memory_order_relaxed) < static_cast<int>(setup_.threads)) {
        split(stack);
      }
      const std::uint32_t n = stack.nodes.pop();
      start_node(n, stack, mark);
    }
    if (release_held(stack))
      continue; // the join became ready here
    flush(stack);
    if (setup_.threads < 2 || !await_donation(stack))
      break;
    mark = stamp();
  }
  stack.context = nullptr;
  // Release: a drainer left alone reads the counters this one wrote (release_successors).
  drainers_.fetch_sub(1, std::memory_order_release);
}

// Work sharing between drainers without a wake-up. A drainer whose stack ran dry waits a
// little (hunger_patience) in `waiting`; a busy drainer that sees it moves the older half
// of its stack into `mailbox_` (`waiting` -> `filling` -> `full`) and the waiter takes it.
// The waiter gives up only by winning `waiting` -> `idle`, so work put in the mailbox is
// never stranded. At most one drainer waits at a time.
bool RunState::await_donation(Stack& stack) {
  if (remaining_.load(std::memory_order_acquire) == 0 || cancelling())
    return false;
  Hunger expected = Hunger::idle;
  if (!hunger_.compare_exchange_strong(expected, Hunger::waiting, std::memory_order_acq_rel))
    return false;
  const auto give_up = Clock::now() + hunger_patience;
  for (unsigned spins = 0;; ++spins) {
    Hunger state = hunger_.load(std::memory_order_acquire);
    if (state == Hunger::full) {
      stack.nodes.swap(mailbox_);
      hunger_.store(Hunger::idle, std::memory_order_release);
      return true;
    }
    // steady_clock::now() costs ~90 ns on the 2-core machines we build on
    // (docs/performance.md): look at it every 64 spins.
    const bool over = remaining_.load(std::memory_order_acquire) == 0 || cancelling() ||
                      (spins % 64 == 63 && Clock::now() > give_up);
    if (state == Hunger::waiting && over &&
        hunger_.compare_exchange_strong(state, Hunger::idle, std::memory_order_acq_rel))
      return false;
    // With more busy threads than cores (as on the 2-core machines we build on), the donor
    // may be waiting for this one: let it (or anything else) run.
    std::this_thread::yield();
  }
}

void RunState::donate(Stack& stack) {
  Hunger expected = Hunger::waiting;
  if (!hunger_.compare_exchange_strong(expected, Hunger::filling, std::memory_order_acq_rel))
    return;
  stack.nodes.take_oldest(stack.nodes.size() / 2, mailbox_);
  hunger_.store(Hunger::full, std::memory_order_release);
}

// Gives the older half of the stack to another worker.
void RunState::split(Stack& stack) {
  Stack part;
  stack.nodes.take_oldest(stack.nodes.size() / 2, part.nodes);
  // Counted now, and until the part is drained: a burst of splits must not hand work to more
  // threads than exist, and this drainer must not think itself alone (release_successors)
  // while the part waits for a thread.
  drainers_.fetch_add(1, std::memory_order_relaxed);
  asio::post(setup_.workers->other(),
             [self = shared_from_this(), part = std::move(part)]() mutable {
               self->drain(part, self->stamp(), /*counted=*/true);
             });
}

// Most nodes of most runs: four tests, then the node runs. The general path below makes the
// same decision for them after a dozen (with the events' set-up, 20 instructions a node).
inline void RunState::start_node(std::uint32_t n, Stack& stack, Clock::time_point& mark) {
  // The node's entry is looked up once and handed down: after each call on the way (the
  // node's own above all) the compiler would have to look it up again.
  const PlanNode& node = plan_.nodes[n];
  if (node.plain && detours_.load(std::memory_order_acquire) == 0) [[likely]]
    run_inline(n, node, stack, mark);
  else
    start_node_in_general(n, stack, mark);
}

void RunState::start_node_in_general(std::uint32_t n, Stack& stack, Clock::time_point& mark) {
  const PlanNode& node = plan_.nodes[n];
  NodeResult& record = nodes_[n];
  if (cancelling()) {
    settle_unstarted(n, NodeStatus::cancelled, not_started_reason(), stack);
    return;
  }
  // In a dry run: the first dependency that only a real run settles.
  const NodeResult* planned_dependency = nullptr;
  if (detours_.load(std::memory_order_acquire) & irregular) {
    for (std::uint32_t dep : plan_.dependencies(n)) {
      const NodeResult& d = nodes_[dep];
      if (d.status == NodeStatus::cancelled || (d.status == NodeStatus::failed && !d.tolerated)) {
        settle_unstarted(n, NodeStatus::cancelled,
                         "not started: dependency '" + std::string(d.id) + "' did not finish",
                         stack);
        return;
      }
      if (d.status == NodeStatus::planned && !planned_dependency) [[unlikely]]
        planned_dependency = &d;
      // A node with its own `if:` opts in: it decides for itself (skipped outputs are null).
      if (d.status == NodeStatus::skipped && !node.extra().condition) {
        settle_unstarted(n, NodeStatus::skipped,
                         "dependency '" + std::string(d.id) + "' was skipped", stack);
        return;
      }
    }
  }
  // Only a real run knows what a planned node outputs: whether an `if:` that reads it holds,
  // nor what a `for_each:` would go through. Any other node still runs, on the planned
  // node's stand-ins, with every request it tries held back, so that the plan shows what it
  // would send (e.g. the DELETE of a meeting a planned node creates).
  if (planned_dependency) [[unlikely]] {
    if ((node.extras && (node.extras->condition || node.extras->for_each)) ||
        !runs_on_stand_ins(n)) {
      settle_planned(n, known_after_real_run(*planned_dependency), stack);
      return;
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
  if (!mocks_.empty() && mocks_[n]) [[unlikely]] {
    settle_mock(n, *mocks_[n], stack);
    return;
  }
  if (setup_.dry_run) [[unlikely]] {
    if (auto refusal =
            dry_run_refusal(setup_.options.dry_run, setup_.reaches[n], node.side_effects)) {
      settle_planned(n, std::move(*refusal), stack);
      return;
    }
    if (planned_dependency) {
      // The general path settles through settle_outcome(), which sees the taint; the inline
      // one settles a success directly.
      setup_.dry_run->taint(node.id);
      spawn_async(n);
      return;
    }
  }
  // A repeated node takes the general path, which counts its attempts from 2.
  if (node.inline_fast_path && (repeated_.empty() || !repeated_[n]))
    run_inline(n, node, stack, mark);
  else
    spawn_async(n);
}

void RunState::emit_node_event(EventKind kind, std::uint32_t n, std::string_view message,
                               std::uint32_t attempt, std::int64_t index) {
  Event e{kind, Clock::now(), plan_.nodes[n].id, index, attempt, message};
  e.category = nodes_[n].category;
  if (kind == EventKind::node_succeeded)
    e.output = &nodes_[n].output;
  emit(e);
}

std::string RunState::not_started_reason() {
  std::lock_guard lock(mutex_);
  if (!failed_node_.empty())
    return "not started: the run failed at node '" + failed_node_ + "'";
  return "not started: the run was cancelled";
}

std::string RunState::settings_problem(std::uint32_t n, std::span<const Value> values) const {
  const auto& specs = plan_.nodes[n].type->spec.settings;
  const std::size_t i = values.size() - 1;
  const Value& v = values[i];
  if (v.is_null())
    return "setting '" + specs[i].name + "' is required but evaluated to null";
  return "setting '" + specs[i].name + "' expects " + std::string(to_string(specs[i].type)) +
         ", got " + std::string(to_string(v.type()));
}

inline void RunState::run_inline(std::uint32_t n, const PlanNode& node, Stack& stack,
                                 Clock::time_point& mark) {
  // Only the slots used are constructed and destroyed: ~Value is a call into the SDK, and
  // a std::array would pay it for all of them on every node.
  const std::size_t count = node.setting_count;
  if (count <= inline_settings) {
    SettingSlots slots;
    run_inline_with(n, node, stack, mark, slots, /*borrow=*/true);
  } else {
    SettingVector slots(count);
    run_inline_with(n, node, stack, mark, slots, /*borrow=*/false);
  }
}

template <class Slots>
inline void RunState::run_inline_with(std::uint32_t n, const PlanNode& node, Stack& stack,
                                      Clock::time_point& mark, Slots& slots, bool borrow) {
  NodeResult& record = nodes_[n];
  record.started = mark;
  record.attempts = 1;
  emit_node(EventKind::node_started, n, {}, 1);
  if (!resolve_settings(node, nullptr, -1, slots, borrow)) {
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
    NodeContext& context = *stack.context;
    context.bind(n, slots.values());
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
  if (error) {
    settle_outcome(n, classify(error), stack, mark);
  } else if (larger_than(record.output, setup_.limits.output_bytes)) [[unlikely]] {
    // A scalar output is judged inline (larger_than); a string, list or object keeps its
    // size in its block.
    record.output = Value();
    settle_outcome(
        n, failure(limit_breach, output_too_large(/*elements=*/false, setup_.limits.output_bytes)),
        stack, mark);
  } else {
    settle_success(n, node, stack, mark);
  }
}

// ---- settling -------------------------------------------------------------------------------

void RunState::settle_unstarted(std::uint32_t n, NodeStatus status, std::string reason,
                                Stack& stack) {
  NodeResult& record = nodes_[n];
  record.status = status;
  record.started = record.finished = stamp();
  record.message = std::move(reason);
  if (status == NodeStatus::cancelled)
    record.category = ErrorCategory::cancelled;
  emit_node(status == NodeStatus::skipped ? EventKind::node_skipped : EventKind::node_cancelled, n,
            record.message);
  detours_.fetch_or(irregular, std::memory_order_release);
  release_successors(n, plan_.nodes[n], stack);
}

// Whether node `n`'s settings read of its planned dependencies only what stands in for them:
// otherwise a setting would be null where a real run has a value, and the plan would be wrong.
bool RunState::runs_on_stand_ins(std::uint32_t n) const {
  bool meaningful = true;
  for (const ValueTemplate& setting : plan_.settings(n))
    setting.visit_node_references([&](std::uint32_t target, const Path& path) {
      if (meaningful && nodes_[target].status == NodeStatus::planned)
        meaningful = setup_.dry_run->reads_stand_in(plan_.nodes[target].id, path);
    });
  return meaningful;
}

std::string RunState::known_after_real_run(const NodeResult& dependency) {
  return "depends on '" + std::string(dependency.id) + "', known only after a real run";
}

// A dry run did not run the node, held back a request it tried to send, or ran it on
// stand-ins: either way a real run would run it, and its output is unknown. Its dependents
// see `output` (when it ran on stand-ins), or stand-ins of their own; the result shows null.
void RunState::settle_planned(std::uint32_t n, std::string reason, Stack& stack, Value output) {
  NodeResult& record = nodes_[n];
  record.status = NodeStatus::planned;
  if (record.started == Clock::time_point{})
    record.started = stamp();
  record.finished = stamp();
  const PlanNode& node = plan_.nodes[n];
  record.output = output.is_null()
                      ? setup_.dry_run->stand_in_output(node.id, node.type->spec.outputs)
                      : std::move(output);
  record.message = std::move(reason);
  emit_node(EventKind::node_planned, n, record.message, record.attempts);
  detours_.fetch_or(irregular, std::memory_order_release);
  release_successors(n, plan_.nodes[n], stack);
}

// The node is not run: its mock's output or failure is its outcome. The output limit does
// not apply (the test wrote it).
void RunState::settle_mock(std::uint32_t n, const NodeMock& mock, Stack& stack) {
  NodeResult& record = nodes_[n];
  record.mocked = true;
  record.started = stamp();
  record.attempts = 1;
  emit_node(EventKind::node_started, n, {}, 1);
  settle_outcome(
      n, mock.error ? failure(mock.error->category, mock.error->message) : success(mock.output),
      stack);
}

// A success whose output is already in the node's record.
inline void RunState::settle_success(std::uint32_t n, const PlanNode& node, Stack& stack,
                                     Clock::time_point finished) {
  NodeResult& record = nodes_[n];
  record.finished = finished;
  record.status = NodeStatus::succeeded;
  emit_node(EventKind::node_succeeded, n, {}, record.attempts);
  release_successors(n, node, stack);
}

void RunState::settle_outcome(std::uint32_t n, Outcome outcome, Stack& stack,
                              Clock::time_point finished) {
  const PlanNode& node = plan_.nodes[n];
  NodeResult& record = nodes_[n];
  record.finished = finished;
  record.attempts = std::max(record.attempts, outcome.attempts);
  // However the node took the refusal, what it did is not what a real run would do.
  if (setup_.dry_run) [[unlikely]] {
    if (setup_.dry_run->held(node.id)) {
      settle_planned(n, setup_.dry_run->describe(node.id), stack);
      return;
    }
    // It ran on stand-ins: what it made of them (or its failure) is not what a real run
    // would see.
    if (setup_.dry_run->tainted(node.id)) {
      settle_planned(n, known_after_real_run(*first_planned_dependency(n)), stack,
                     outcome.ok ? std::move(outcome.value) : Value());
      return;
    }
  }
  if (outcome.ok) {
    record.output = std::move(outcome.value);
    settle_success(n, node, stack, finished);
    return;
  }
  if (outcome.category == ErrorCategory::cancelled && cancelling()) {
    record.status = NodeStatus::cancelled;
    record.category = ErrorCategory::cancelled;
    record.message = outcome.message;
    emit_node(EventKind::node_cancelled, n, record.message, record.attempts);
    detours_.fetch_or(irregular, std::memory_order_release);
  } else {
    record.status = NodeStatus::failed;
    record.category = outcome.category;
    record.message = std::move(outcome.message);
    record.tolerated = node.on_error == OnError::proceed;
    emit_node(EventKind::node_failed, n, record.message, record.attempts);
    detours_.fetch_or(irregular, std::memory_order_release);
    if (!record.tolerated)
      fail_run(n);
  }
  release_successors(n, plan_.nodes[n], stack);
}

inline void RunState::release_successors(std::uint32_t n, const PlanNode& node, Stack& stack) {
  // Plain updates, without locked instructions (an atomic read-modify-write is ~20 cycles,
  // and a small plan does one per edge), where no other thread touches the counters: in a
  // serial run, and while a drainer is alone. A plan whose nodes all run inline is drained
  // by threads that this run's drainers started (split()), each counted in drainers_ from
  // before it starts until it has left (with release; this load acquires). A chain run with
  // two threads paid a locked instruction per edge for nothing. (Relaxed loads and stores
  // through atomic_ref are plain moves on x86: the serial case loses nothing by sharing the
  // code.)
  if (serial_ || (plan_.all_inline && drainers_.load(std::memory_order_acquire) == 1)) [[likely]] {
    for (std::uint32_t s : plan_.successors(node)) {
      const std::uint32_t left = shared(s).load(std::memory_order_relaxed) - 1;
      shared(s).store(left, std::memory_order_relaxed);
      if (left == 0)
        stack.nodes.push(s);
    }
  } else {
    release_shared_successors(n, stack);
  }
  if (serial_) {
    // One thread runs the whole plan: the run ends with its last node.
    const std::uint32_t left = remaining_.load(std::memory_order_relaxed) - 1;
    remaining_.store(left, std::memory_order_relaxed);
    if (left == 0)
      finish();
    return;
  }
  ++stack.settled; // counted when the stack runs dry: flush()
}

// Decrements that other drainers may make at the same time: locked, and a join's held back
// (Stack).
void RunState::release_shared_successors(std::uint32_t n, Stack& stack) {
  for (std::uint32_t s : plan_.successors(n)) {
    if (plan_.dependency_counts[s] >= held_fan_in) [[unlikely]] {
      if (stack.held != 0 && stack.held_node != s)
        release_held(stack);
      stack.held_node = s;
      ++stack.held;
    } else if (shared(s).fetch_sub(1, std::memory_order_acq_rel) == 1) {
      stack.nodes.push(s);
    }
  }
}

// Applies the decrements held for a join (Stack); true when that made it ready. Before
// flush(): the run cannot end while a drainer holds a join's last decrements.
bool RunState::release_held(Stack& stack) {
  if (stack.held == 0)
    return false;
  const std::uint32_t count = std::exchange(stack.held, 0);
  // Release, as each single decrement was: the join reads what this drainer's nodes wrote.
  if (shared(stack.held_node).fetch_sub(count, std::memory_order_acq_rel) != count)
    return false;
  stack.nodes.push(stack.held_node);
  return true;
}

void RunState::flush(Stack& stack) {
  if (stack.settled == 0)
    return;
  const std::uint32_t settled = std::exchange(stack.settled, 0);
  // Last: once this reaches zero another thread may finish the run and hand it away. The
  // release half publishes this drainer's records to whoever finishes.
  if (remaining_.fetch_sub(settled, std::memory_order_acq_rel) == settled)
    finish();
}

void RunState::fail_run(std::uint32_t n) {
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

void RunState::cancel_everything() {
  if (detours_.fetch_or(cancelling_now, std::memory_order_acq_rel) & cancelling_now)
    return;
  std::vector<std::shared_ptr<Invocation>> active;
  {
    std::lock_guard lock(mutex_);
    for (auto& [n, invocation] : active_)
      active.push_back(invocation);
  }
  for (auto& invocation : active)
    asio::post(invocation->loop, [invocation] { invocation->cancel_all(); });
}

void RunState::finish() {
  if (!on_done_ && serial_) {
    // A blocking serial run finishes on the thread that called begin() and will call wait()
    // once it returns: the result is built where wait() takes it, with no lock and no
    // notification (and no second RunResult to make and destroy).
    build_result(result_);
    // Nothing reads the plan after this but ~RunState, which gives the counters back: the
    // result keeps the plan alive until wait() hands it over, and the caller's Pipeline
    // after that. So its reference moves instead of being counted.
    RunResultAccess::keep_plan(result_, std::move(setup_.plan));
    done_ = true;
    return;
  }
  RunResult result;
  build_result(result);
  RunResultAccess::keep_plan(result, setup_.plan);
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

void RunState::build_result(RunResult& result) {
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
    for (const PlanOutput& output : plan_.outputs) {
      if (setup_.dry_run && depends_on_planned(output)) [[unlikely]]
        result.unknown_outputs.push_back(output.name);
      else
        outputs.emplace_back(output.name, output.value.eval(s));
    }
    result.outputs = Value(std::move(outputs));
  }
  if (setup_.dry_run) {
    result.planned = setup_.dry_run->take_planned();
    // A planned node's output was stand-ins, for its dependents only.
    for (NodeResult& record : nodes_)
      if (record.status == NodeStatus::planned)
        record.output = Value();
  }
  // The counter first: its reading is then no later than the clock's.
  const std::uint64_t end_ticks = ticks_ ? read_ticks() : 0;
  result.finished = Clock::now();
  if (ticks_) {
    TickRate::process().observe(result.finished, end_ticks);
    if (tick_scale_ == 0) {
      const TickSpan span(started_, started_ticks_, result.finished, end_ticks);
      for (NodeResult& record : nodes_) {
        record.started = span.to_time(record.started);
        record.finished = span.to_time(record.finished);
      }
    } else if (const Clock::time_point last =
                   TickScale(started_, started_ticks_, tick_scale_).to_time(end_ticks);
               last > result.finished) [[unlikely]] {
      // The clock ran slower than the measured rate during this run (it is slewed, e.g.):
      // a stamp may lie past the end. Each is kept inside the run's window.
      for (NodeResult& record : nodes_) {
        record.started = std::min(record.started, result.finished);
        record.finished = std::min(record.finished, result.finished);
      }
    }
  }
  if (observed_) {
    Event e{EventKind::run_finished, result.finished};
    e.run_status = result.status;
    e.message = result.error;
    emit(e);
  }
  result.nodes = std::move(nodes_);
}

} // namespace sluice::detail
