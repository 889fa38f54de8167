#pragma once
// Owns ReadyStack: the node indices a drainer has ready to run, last in first out.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

namespace sluice::detail {

// A growable array of node indices whose push is inline. std::vector's push_back was a call
// of its own inside the executor's loop (GCC declined to inline it into a function that
// large): 21 instructions for each node that became ready, where a push is three.
class ReadyStack {
public:
  ReadyStack() noexcept = default;
  /// The nodes of `nodes`, in that order (the last is popped first).
  explicit ReadyStack(std::span<const std::uint32_t> nodes) { assign(nodes); }
  ReadyStack(ReadyStack&& other) noexcept
      : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  ReadyStack& operator=(ReadyStack&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    return *this;
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  std::span<const std::uint32_t> nodes() const noexcept { return {data_.get(), size_}; }

  [[gnu::always_inline]] void push(std::uint32_t node) {
    if (size_ == capacity_) [[unlikely]]
      grow(size_ + 1);
    data_[size_++] = node;
  }
  /// The node pushed last, taken off. The stack must not be empty.
  std::uint32_t pop() noexcept { return data_[--size_]; }

  /// Replaces the contents with `nodes`, in that order.
  void assign(std::span<const std::uint32_t> nodes) {
    std::copy(nodes.begin(), nodes.end(), replace_with(nodes.size()));
  }
  /// Replaces the contents with `nodes` in reverse order: the first of them is popped first.
  void assign_reversed(std::span<const std::uint32_t> nodes) {
    std::reverse_copy(nodes.begin(), nodes.end(), replace_with(nodes.size()));
  }
  /// Takes off the `count` oldest entries (the bottom of the stack), into `out`.
  void take_oldest(std::size_t count, ReadyStack& out) {
    out.assign(nodes().first(count));
    std::memmove(data_.get(), data_.get() + count, (size_ - count) * sizeof(std::uint32_t));
    size_ -= static_cast<std::uint32_t>(count);
  }
  void reserve(std::size_t capacity) {
    if (capacity > capacity_)
      grow(capacity);
  }
  void swap(ReadyStack& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

private:
  // Empties the stack and makes it `count` entries long, for the caller to fill.
  std::uint32_t* replace_with(std::size_t count) {
    size_ = 0; // nothing for grow() to keep
    if (count > capacity_)
      grow(count);
    size_ = static_cast<std::uint32_t>(count);
    return data_.get();
  }
  // Room for at least `needed`, keeping the contents.
  [[gnu::noinline]] void grow(std::size_t needed) {
    const std::size_t capacity = std::max<std::size_t>({needed, 2 * std::size_t{capacity_}, 16});
    auto data = std::make_unique_for_overwrite<std::uint32_t[]>(capacity);
    std::copy_n(data_.get(), size_, data.get());
    data_ = std::move(data);
    capacity_ = static_cast<std::uint32_t>(capacity);
  }

  std::unique_ptr<std::uint32_t[]> data_;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
};

} // namespace sluice::detail
