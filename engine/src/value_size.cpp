// The approximate size of a Value (Limits::output_bytes). A flat list or object (most node
// outputs: `{text: ...}`, `{value: 42}`) is counted in one loop; only a list or object nested
// in it takes the general walk, iterative, with a stack of the lists and objects still being
// read. Both stop once the count passes the bound.

#include "value_size.hpp"

#include <array>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace sluice::detail {

namespace {

// The unread rest of a list's elements or of an object's members. No member initialisers:
// the inline frames below stay uninitialised until pushed.
struct Frame {
  const Value* elements;
  const std::pair<std::string, Value>* members;
  std::size_t left;
};

// Frames kept inline first: nested outputs rarely go more than a few levels deep, and a walk
// that allocated would cost more than the rest of a small node. A frame is pushed only for a
// non-empty list or object, which has counted at least value_bytes + block_bytes, so the
// stack never holds more than bound / 64 + 1 frames.
class FrameStack {
public:
  bool empty() const noexcept { return size_ == 0; }
  Frame& top() noexcept { return size_ <= inline_.size() ? inline_[size_ - 1] : spill_.back(); }
  void push(const Frame& frame) {
    if (size_ < inline_.size())
      inline_[size_] = frame;
    else
      spill_.push_back(frame);
    ++size_;
  }
  void pop() noexcept {
    if (size_ > inline_.size())
      spill_.pop_back();
    --size_;
  }

private:
  std::array<Frame, 16> inline_;
  std::vector<Frame> spill_;
  std::size_t size_ = 0;
};

bool is_container(const Value& v) noexcept {
  return v.type() == ValueType::array || v.type() == ValueType::object;
}

// What `v` counts for itself, without what a list or object holds.
std::size_t own_size(const Value& v) {
  switch (v.type()) {
  case ValueType::string:
    return value_bytes + block_bytes + v.size();
  case ValueType::array:
  case ValueType::object:
    return value_bytes + block_bytes;
  default:
    return value_bytes;
  }
}

// `total` plus the size of `nested`, a list or object, and everything in it; stops once past
// `bound`.
[[gnu::noinline]] std::size_t add_nested(const Value& nested, std::size_t total,
                                         std::size_t bound) {
  FrameStack pending;
  const auto count = [&](const Value& v) {
    total += own_size(v);
    if (v.type() == ValueType::array) {
      const std::span<const Value> elements = v.as_array();
      if (!elements.empty())
        pending.push(Frame{elements.data(), nullptr, elements.size()});
    } else if (v.type() == ValueType::object) {
      const auto members = v.as_object();
      if (!members.empty())
        pending.push(Frame{nullptr, members.data(), members.size()});
    }
    return total <= bound;
  };
  if (!count(nested))
    return total;
  while (!pending.empty()) {
    // Taken off the frame before count() may push another (and move the spilled frames).
    Frame& frame = pending.top();
    const Value* next = nullptr;
    if (frame.members) {
      total += frame.members->first.size();
      next = &frame.members->second;
      ++frame.members;
    } else {
      next = frame.elements;
      ++frame.elements;
    }
    if (--frame.left == 0)
      pending.pop();
    if (!count(*next))
      return total;
  }
  return total;
}

// `total` plus the size of `v`, an element or member value of the top level.
std::size_t add(const Value& v, std::size_t total, std::size_t bound) {
  return is_container(v) ? add_nested(v, total, bound) : total + own_size(v);
}

} // namespace

std::size_t approximate_size(const Value& value, std::size_t bound) {
  std::size_t total = own_size(value);
  if (value.type() == ValueType::array) {
    for (const Value& element : value.as_array()) {
      total = add(element, total, bound);
      if (total > bound)
        break;
    }
  } else if (value.type() == ValueType::object) {
    for (const auto& [key, member] : value.as_object()) {
      total = add(member, total + key.size(), bound);
      if (total > bound)
        break;
    }
  }
  return total;
}

} // namespace sluice::detail
