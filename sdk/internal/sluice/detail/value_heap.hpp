#pragma once
// Value's heap block: the one layout behind strings, arrays and objects, shared by value.cpp,
// the deep equality and the engine's borrowed arrays.

#include <sluice/detail/same_key.hpp>
#include <sluice/value.hpp>

#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace sluice {

namespace detail {

// Objects up to this many members are searched linearly: comparing a handful of short keys
// beats a binary search over an index, and small objects (the common case) pay no memory
// for one.
inline constexpr std::size_t kIndexThreshold = 12;

// The heap types are the last three of ValueType: one comparison.
static_assert(ValueType::string > ValueType::number && ValueType::array > ValueType::string &&
              ValueType::object > ValueType::array && static_cast<int>(ValueType::object) == 6);
inline constexpr bool is_heap_type(ValueType t) noexcept {
  return t >= ValueType::string;
}

// The measure of Limits::output_bytes (sluice/detail/approximate_size.hpp): what one value
// counts for itself, and what a string, list or object counts for its block.
inline constexpr std::size_t value_bytes = sizeof(Value);
inline constexpr std::size_t block_bytes = 48;

// Sums sizes without wrapping: a value that shares one block in many places (an array of the
// same array, nested sixty times) counts more than any limit, never a small number.
inline constexpr std::size_t add_bytes(std::size_t a, std::size_t b) noexcept {
  const std::size_t sum = a + b;
  return sum < a ? static_cast<std::size_t>(-1) : sum;
}

// The one heap block type. `index` (objects only, and only above kIndexThreshold members)
// holds member positions sorted by key so that `find` is a binary search.
// A pointer rather than a vector: it keeps the block at 56 bytes (a 64-byte malloc chunk
// instead of 80), and most objects have no index.
struct ObjectBody {
  Object members;
  /// members.size() positions, or null.
  std::unique_ptr<std::size_t[]> index;
};

// An array built by Value::array_from: its `count` elements follow the Heap in the same
// allocation.
struct TrailingElements {
  std::size_t count;
  /// The elements are uncounted copies (detail::BorrowedArray). Such a block never reaches
  /// destroy(): BorrowedArray::end() frees it or clears this first.
  bool borrowed = false;
};

// An object of up to kIndexThreshold members: its `count` members follow the Heap in the same
// allocation. One block per object instead of two (the caller's vector is emptied into it
// and freed at once, which lets the next object's vector reuse that memory): a run's results
// hold one block per node output, not two, and free half as many when they are dropped.
struct TrailingMembers {
  std::size_t count;
};

} // namespace detail

struct Value::Heap {
  using Member = std::pair<std::string, Value>;

  // Starts at 1: the Value that creates the block owns the first reference.
  std::atomic<std::size_t> refs{1};
  // The approximate size of a value that holds this block, everything in it included: set
  // once where the block is made (from its children's, which are final by then), so that
  // checking a node's output against Limits::output_bytes reads one number instead of
  // walking the value. Fits in what was padding of the 64-byte malloc chunk. 0 in a
  // borrowed array (detail::BorrowedArray), which is counted only when asked: most are read
  // by the node they were lent to and dropped, and counting each cost 12 instructions a node.
  std::size_t bytes = 0;
  std::variant<std::string, Array, detail::ObjectBody, detail::TrailingElements,
               detail::TrailingMembers>
      body;

  template <class T> explicit Heap(T&& b) : body(std::forward<T>(b)) {}

  /// What `v` counts towards Limits::output_bytes.
  static std::size_t bytes_of(const Value& v) noexcept {
    if (!detail::is_heap_type(v.type_))
      return detail::value_bytes;
    const std::size_t bytes = v.heap_->bytes;
    return bytes != 0 ? bytes : v.heap_->counted_bytes();
  }
  /// `total` plus what a member (its name and value) or an element counts: the one sum
  /// behind counted_bytes() and the constructors that count as they move.
  static std::size_t plus_member(std::size_t total, std::string_view key, const Value& v) noexcept {
    return detail::add_bytes(detail::add_bytes(total, key.size()), bytes_of(v));
  }
  static std::size_t plus_element(std::size_t total, const Value& v) noexcept {
    return detail::add_bytes(total, bytes_of(v));
  }
  /// Sets `bytes` from the contents, once they are in place.
  void count_bytes() noexcept { bytes = counted_bytes(); }
  /// What `bytes` is, from the contents and their own figures. Out of line, so that
  /// bytes_of()'s common case saves no registers for it.
  [[gnu::noinline]] std::size_t counted_bytes() const noexcept {
    std::size_t total = detail::value_bytes + detail::block_bytes;
    if (const auto* text = std::get_if<std::string>(&body)) {
      total += text->size();
    } else if (is_object()) {
      for (const Member& m : members())
        total = plus_member(total, m.first, m.second);
    } else {
      for (const Value& v : arr())
        total = plus_element(total, v);
    }
    return total;
  }

  /// Drops one reference; true when it was the last (the caller then frees the block).
  bool drop_reference() noexcept {
    // The last reference is the common case (a run's settings, a result's outputs) and
    // needs no locked instruction: whoever holds the only reference is the only one who
    // could add another, so a count of 1 cannot change under us. The acquire load pairs
    // with the release half of the other owners' decrements, as the RMW's acquire would.
    if (refs.load(std::memory_order_acquire) == 1)
      return true;
    // acq_rel: the release half orders this thread's reads of the block before the drop;
    // the acquire half makes every other thread's reads happen-before the deletion.
    return refs.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }

  /// A block with room for `count` items after it (detail::TrailingElements: Values,
  /// detail::TrailingMembers: Members); the caller constructs them. free_block() frees it.
  template <class Body, class Item> static Heap* with_trailing(std::size_t count) {
    void* raw = ::operator new(sizeof(Heap) + count * sizeof(Item));
    return ::new (raw) Heap(Body{count});
  }
  static Heap* with_trailing_elements(std::size_t count) {
    return with_trailing<detail::TrailingElements, Value>(count);
  }
  static Heap* with_trailing_members(std::size_t count) {
    return with_trailing<detail::TrailingMembers, Member>(count);
  }
  /// An object block of `count` members after it, member `i` made by `make(i, where)` (which
  /// constructs it at `where` and returns it), with its size counted as they are made. If a
  /// `make` throws, the members made so far and the block are freed and the exception goes on.
  template <class Make> static Heap* with_members_made(std::size_t count, Make make) {
    Heap* heap = with_trailing_members(count);
    auto* slots = std::launder(reinterpret_cast<Member*>(heap + 1));
    std::size_t bytes = detail::value_bytes + detail::block_bytes;
    std::size_t made = 0;
    try {
      for (; made < count; ++made) {
        const Member& member = make(made, static_cast<void*>(slots + made));
        bytes = plus_member(bytes, member.first, member.second);
      }
    } catch (...) {
      std::destroy(slots, slots + made);
      heap->~Heap();
      ::operator delete(heap);
      throw;
    }
    heap->bytes = bytes;
    return heap;
  }

  /// Frees a block whose children are already detached (null): the one place that knows
  /// how each layout was allocated.
  static void free_block(Heap* h) noexcept {
    if (std::holds_alternative<detail::TrailingElements>(h->body)) {
      // The elements are null (or uncounted copies): nothing for their destructors to do.
      h->~Heap();
      ::operator delete(h);
    } else if (std::holds_alternative<detail::TrailingMembers>(h->body)) {
      // The values are null; the keys still own their text.
      std::destroy(h->mutable_members().begin(), h->mutable_members().end());
      h->~Heap();
      ::operator delete(h);
    } else {
      delete h;
    }
  }

  const std::string& str() const noexcept { return *std::get_if<std::string>(&body); }
  std::span<const Value> arr() const noexcept {
    if (const auto* trailing = std::get_if<detail::TrailingElements>(&body))
      return {std::launder(reinterpret_cast<const Value*>(this + 1)), trailing->count};
    return *std::get_if<Array>(&body);
  }
  std::span<Value> mutable_arr() noexcept {
    if (const auto* trailing = std::get_if<detail::TrailingElements>(&body))
      return {std::launder(reinterpret_cast<Value*>(this + 1)), trailing->count};
    return *std::get_if<Array>(&body);
  }
  std::span<const Member> members() const noexcept {
    if (const auto* trailing = std::get_if<detail::TrailingMembers>(&body))
      return {std::launder(reinterpret_cast<const Member*>(this + 1)), trailing->count};
    return std::get_if<detail::ObjectBody>(&body)->members;
  }
  std::span<Member> mutable_members() noexcept {
    if (const auto* trailing = std::get_if<detail::TrailingMembers>(&body))
      return {std::launder(reinterpret_cast<Member*>(this + 1)), trailing->count};
    return std::get_if<detail::ObjectBody>(&body)->members;
  }
  /// Member positions sorted by key (members().size() of them), or null.
  const std::size_t* index() const noexcept {
    const auto* object = std::get_if<detail::ObjectBody>(&body);
    return object != nullptr ? object->index.get() : nullptr;
  }
  bool is_object() const noexcept {
    return std::holds_alternative<detail::ObjectBody>(body) ||
           std::holds_alternative<detail::TrailingMembers>(body);
  }

  // Frees `h` when it is a block of trailing members or elements none of which holds a
  // block of its own (a node's output such as {"value": 3}), and says whether it did. Most
  // blocks a run frees are such; the general walk below cost them 75 instructions each
  // besides the free. The scalar values need no destructor (Value's only releases a block).
  static bool destroy_flat(Heap* h) noexcept {
    if (const auto* trailing = std::get_if<detail::TrailingMembers>(&h->body)) {
      const std::size_t count = trailing->count;
      Member* members = std::launder(reinterpret_cast<Member*>(h + 1));
      for (std::size_t i = 0; i < count; ++i)
        if (detail::is_heap_type(members[i].second.type_))
          return false;
      for (std::size_t i = 0; i < count; ++i)
        std::destroy_at(&members[i].first);
    } else if (const auto* elements = std::get_if<detail::TrailingElements>(&h->body)) {
      const Value* values = std::launder(reinterpret_cast<const Value*>(h + 1));
      for (std::size_t i = 0; i < elements->count; ++i)
        if (detail::is_heap_type(values[i].type_))
          return false;
    } else {
      return false;
    }
    h->~Heap();
    ::operator delete(h);
    return true;
  }

  // Frees `root` and every block that becomes unreferenced because of it. Iterative: a
  // recursive destructor would overflow the stack on deeply nested values (a million
  // nested arrays is a few lines of JSON-free C++). Each child is detached from its parent
  // (its reference dropped and the slot reset to null) before the parent is deleted, so the
  // parent's vector destructor never recurses.
  static void destroy(Heap* root) noexcept {
    if (destroy_flat(root))
      return;
    std::vector<Heap*> pending; // allocates only when a child block also dies
    Heap* h = root;
    for (;;) {
      auto detach = [&pending](Value& child) noexcept {
        if (!detail::is_heap_type(child.type_))
          return;
        Heap* c = child.heap_;
        child.type_ = ValueType::null;
        child.int_ = 0;
        if (c->drop_reference()) {
          try {
            pending.push_back(c);
          } catch (...) {
            // Out of memory while freeing memory: fall back to recursion for this child.
            destroy(c);
          }
        }
      };
      if (h->is_object()) {
        for (auto& m : h->mutable_members())
          detach(m.second);
      } else if (!std::holds_alternative<std::string>(h->body)) {
        for (Value& v : h->mutable_arr())
          detach(v);
      }
      free_block(h);
      if (pending.empty())
        return;
      h = pending.back();
      pending.pop_back();
    }
  }
};

namespace detail {

// What the engine reads of a value on its hot paths, inline (a call into the SDK, with its
// saved registers, cost more than the read).
struct ValueAccess {
  /// The value's size as Limits::output_bytes counts it (approximate_size.hpp).
  static std::size_t approximate_size(const Value& v) noexcept { return Value::Heap::bytes_of(v); }

  /// The member of `v` named `key`, as Value::find(key) answers: here for an object of up to
  /// kIndexThreshold members (the engine's references look one up for every node they feed).
  static const Value* find_member(const Value& v, std::string_view key) noexcept {
    if (v.type_ == ValueType::object)
      if (const auto* trailing = std::get_if<TrailingMembers>(&v.heap_->body)) {
        const auto* members =
            std::launder(reinterpret_cast<const Value::Heap::Member*>(v.heap_ + 1));
        for (std::size_t i = 0; i < trailing->count; ++i)
          if (same_key(members[i].first, key))
            return &members[i].second;
        return nullptr;
      }
    return v.find(key);
  }
};

} // namespace detail

} // namespace sluice
