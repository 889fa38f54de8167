#pragma once
// Owns the large blocks a plan's runs use, kept between runs: the node records a RunResult
// hands back when it is destroyed, and a finished run's dependency counters.

#include <sluice/run.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace sluice::detail {

struct Plan;

// Why keep them: a run of a large plan would otherwise map fresh memory for its records and
// counters and fault in every page (a 1M-node plan: 96 MB and 4 MB, 41,656 faults a run),
// and freeing a block that large makes malloc consolidate its free lists and give the heap's
// free memory back to the system, so the next run's node outputs fault too. One block of
// each is kept (a plan's concurrent runs beyond the first allocate their own), for the plan's
// lifetime; plans of at most `min_nodes` nodes keep nothing: malloc reuses their blocks
// anyway, and the lock would cost them more than it saves.
class RunMemory {
public:
  /// Plain words: a run that shares them between threads reaches them through
  /// std::atomic_ref (RunState).
  using Counters = std::unique_ptr<std::uint32_t[]>;
  static constexpr std::size_t min_nodes = 16;

  RunMemory() = default;
  RunMemory(const RunMemory&) = delete;
  RunMemory& operator=(const RunMemory&) = delete;
  ~RunMemory();

  /// The records last given back, each as new for its node (NodeResult(id), in the plan's
  /// order); or an empty vector, maybe with room.
  std::vector<NodeResult> take_records() noexcept;
  /// Keeps `records` for the next run of `plan`, unless a block is kept already or
  /// it has no room for them all. Records that are still one per node are made new in place
  /// (the old one destroyed, a new one built for the same node, in one pass, so the next run
  /// does not walk them again); others are cleared. Never throws: it runs in ~RunResult.
  void give_records(std::vector<NodeResult>&& records, const Plan& plan) noexcept;

  /// Room for `count` counters: the block last given back, or a new one.
  Counters take_counters(std::size_t count);
  void give_counters(Counters&& counters) noexcept;

  /// The block a run state (with its shared_ptr's count) of `bytes` bytes was last freed
  /// from, or null. Kept whatever the plan's size: a run state is over 1 KB, past what malloc
  /// serves from its per-thread cache, and such a request makes malloc consolidate its free
  /// lists first (after a large result was dropped, a million chunks: it made a 1M-node chain
  /// 25 % slower on two threads than on one).
  void* take_state_block(std::size_t bytes) noexcept;
  /// Keeps `block` for the next run of this plan, or frees it if one is kept already.
  void give_state_block(void* block, std::size_t bytes) noexcept;

private:
  std::mutex mutex_; // guards what follows
  std::vector<NodeResult> records_;
  Counters counters_;
  void* state_block_ = nullptr;
  std::size_t state_bytes_ = 0;
};

} // namespace sluice::detail
