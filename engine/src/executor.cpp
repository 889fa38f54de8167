// Owns the executor's entry points (executor.hpp): starting a run, in the background or on the
// caller's thread. Design (see docs/performance.md for the measurements behind it):
// - Every node has a dependency counter; a node becomes ready when it reaches zero.
// - Ready nodes go on a stack owned by the thread that made them ready, which drains it in a
//   loop. Nodes that never wait run inline there: no coroutine, no hand-off, no recursion
//   (so a million-node chain runs in constant stack).
// - When a stack grows and other threads are idle, half of it is posted to the pool.
// - Nodes that wait (async types, retries, timeouts, for_each) run as a coroutine on a strand
//   of their own; their completion settles the node and drains its successors.
// Where each part lives: run_state.hpp/.cpp (scheduling, settling, the result),
// async_nodes.cpp (nodes that wait), node_context.hpp/.cpp (what a node sees), outcome.hpp/.cpp
// (failures and retry delays), inputs.cpp (resolve_inputs).

#include "executor.hpp"
#include "run_state.hpp"

namespace sluice::detail {

const Value& empty_object() {
  static const Value empty{Object{}};
  return empty;
}

std::shared_ptr<RunControl> make_run(RunSetup setup, std::function<void(RunResult)> on_done) {
  return std::make_shared<RunState>(std::move(setup), std::move(on_done));
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
  auto run = std::make_shared<RunState>(std::move(setup), nullptr);
  run->begin(/*drive_here=*/true);
  return run->wait();
}

} // namespace sluice::detail
