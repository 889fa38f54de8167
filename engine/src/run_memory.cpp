// Owns the blocks a plan's runs reuse (run_memory.hpp).

#include "run_memory.hpp"

#include "plan.hpp"

#include <memory>
#include <utility>

namespace sluice::detail {

RunMemory::~RunMemory() {
  ::operator delete(state_block_);
}

std::vector<NodeResult> RunMemory::take_records() noexcept {
  std::lock_guard lock(mutex_);
  return std::exchange(records_, {});
}

void RunMemory::give_records(std::vector<NodeResult>&& records, const Plan& plan) noexcept {
  const std::size_t nodes = plan.nodes.size();
  if (nodes <= min_nodes || records.capacity() < nodes)
    return;
  // Outside the lock: the records' outputs and messages are freed here. The id is set again
  // too, as a result's owner may have changed any field.
  if (records.size() == nodes) {
    for (std::size_t i = 0; i < nodes; ++i) {
      std::destroy_at(&records[i]);
      std::construct_at(&records[i], plan.nodes[i].id);
    }
  } else {
    records.clear();
  }
  std::lock_guard lock(mutex_);
  if (records_.capacity() == 0)
    records_ = std::move(records);
}

RunMemory::Counters RunMemory::take_counters(std::size_t count) {
  {
    std::lock_guard lock(mutex_);
    if (counters_)
      return std::move(counters_);
  }
  return std::make_unique_for_overwrite<std::uint32_t[]>(count);
}

void RunMemory::give_counters(Counters&& counters) noexcept {
  std::lock_guard lock(mutex_);
  if (!counters_)
    counters_ = std::move(counters);
}

void* RunMemory::take_state_block(std::size_t bytes) noexcept {
  std::lock_guard lock(mutex_);
  if (state_block_ == nullptr || state_bytes_ != bytes)
    return nullptr;
  return std::exchange(state_block_, nullptr);
}

void RunMemory::give_state_block(void* block, std::size_t bytes) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (state_block_ == nullptr) {
      state_block_ = block;
      state_bytes_ = bytes;
      return;
    }
  }
  ::operator delete(block);
}

} // namespace sluice::detail
