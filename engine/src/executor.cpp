// Owns the executor's entry points (executor.hpp): starting a run, in the background or on the
// caller's thread. Design (see docs/performance.md for the measurements behind it):
// - Every node has a dependency counter; a node becomes ready when it reaches zero.
// - Ready nodes go on a stack owned by the thread that made them ready, which drains it in a
//   loop. Nodes that never wait run inline there: no coroutine, no hand-off, no recursion
//   (so a million-node chain runs in constant stack).
// - When a stack grows and other threads are idle, half of it is posted to another worker.
// - Nodes that wait (async types, retries, timeouts, for_each) run as a coroutine on a
//   worker's event loop (workers.hpp); their completion settles the node and drains its
//   successors.
// Where each part lives: run_state.hpp/.cpp (scheduling, settling, the result),
// async_nodes.cpp (nodes that wait), node_context.hpp/.cpp (what a node sees), outcome.hpp/.cpp
// (failures and retry delays), inputs.cpp (resolve_inputs).

#include "executor.hpp"
#include "run_state.hpp"

namespace sluice::detail {

namespace {

// Allocates a run state from the block its plan keeps for it (RunMemory::take_state_block),
// for std::allocate_shared. It holds the plan, so that the plan outlives the block's return
// (the run state's own reference is gone by then).
template <class T> class PlanBlockAllocator {
public:
  using value_type = T;

  explicit PlanBlockAllocator(std::shared_ptr<const Plan> plan) noexcept : plan_(std::move(plan)) {}
  template <class U>
  PlanBlockAllocator(const PlanBlockAllocator<U>& other) noexcept : plan_(other.plan()) {}

  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    const std::size_t bytes = n * sizeof(T);
    if (void* block = plan_->memory.take_state_block(bytes))
      return static_cast<T*>(block);
    return static_cast<T*>(::operator new(bytes));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    plan_->memory.give_state_block(p, n * sizeof(T));
  }

  const std::shared_ptr<const Plan>& plan() const noexcept { return plan_; }
  friend bool operator==(const PlanBlockAllocator& a, const PlanBlockAllocator& b) noexcept {
    return a.plan_ == b.plan_;
  }

private:
  std::shared_ptr<const Plan> plan_;
};

std::shared_ptr<RunState> new_run_state(RunSetup&& setup, std::function<void(RunResult)> on_done) {
  PlanBlockAllocator<RunState> allocator(setup.plan);
  return std::allocate_shared<RunState>(allocator, std::move(setup), std::move(on_done));
}

} // namespace

const Value& empty_object() {
  static const Value empty{Object{}};
  return empty;
}

std::shared_ptr<RunControl> make_run(RunSetup setup, std::function<void(RunResult)> on_done) {
  return new_run_state(std::move(setup), std::move(on_done));
}

RunResult run_blocking(RunSetup setup) {
  if (runs_serially(setup)) {
    // Everything happens on this thread before begin() returns, and nothing takes a
    // shared_from_this() (that is for splits and coroutines): the run state can live on
    // the stack, which saves its allocation and reference counting on every small run.
    RunState run(std::move(setup), nullptr);
    run.begin(/*drive_here=*/true);
    return run.wait();
  }
  auto run = new_run_state(std::move(setup), nullptr);
  run->begin(/*drive_here=*/true);
  return run->wait();
}

} // namespace sluice::detail
