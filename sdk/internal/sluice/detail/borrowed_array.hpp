#pragma once
/// @file
/// For the engine, not for plugins: arrays that borrow their elements for the length of one
/// node invocation. Not installed (sdk/internal/ is on the include path of the engine and the
/// tests only); it makes Value blocks directly, and the engine and the SDK are always built
/// together.
///
/// A node whose setting is a list of references (`values: ["{{ a.x }}", "{{ b.x }}"]`) gets
/// a fresh array on every run. Counting a reference to every element on the way in and out
/// costs two locked instructions per element, more than the rest of building the array.
/// While the node runs, the elements are kept alive anyway by the run's results, so the
/// array may hold uncounted copies of them, provided that it either dies before those
/// results do, or starts counting its elements before it can outlive them: end() does one
/// or the other.
///
/// make() and end() are inline, as the engine runs them for every such node: as calls into
/// the SDK they were ~80 instructions a node, a fifth of the executor's own work on a chain.
/// What is rare (a block to allocate, a kept copy, a long list) stays out of line.

#include <sluice/detail/value_heap.hpp>
#include <sluice/export.hpp>
#include <sluice/value.hpp>

#include <cstring>
#include <span>

namespace sluice::detail {

/// The block of the last small borrowed array this thread ended, as raw memory, kept for its
/// next make(): a malloc and a free were ~100 instructions of a ~1,400-instruction node. Plain
/// variables in the initial-exec model, read without a call (the SDK library is loaded with
/// the program or the engine that needs it). `borrowed_spare_owned`: the thread has
/// registered the destructor that frees its spare when it exits (a thread_local with a
/// destructor of its own would be guarded through __tls_get_addr on every access).
/// constinit: without it every use outside the SDK first tests for a dynamic initialiser
/// (a "TLS init function"), 4 instructions an access.
extern SLUICE_SDK_API constinit thread_local void* borrowed_spare
    [[gnu::tls_model("initial-exec")]];
extern SLUICE_SDK_API constinit thread_local bool borrowed_spare_owned
    [[gnu::tls_model("initial-exec")]];

class SLUICE_SDK_API BorrowedArray {
public:
  /// Borrowed arrays of up to this many elements get a block with room for this many, so that
  /// one spare block serves any of them.
  static constexpr std::size_t spare_capacity = 8;

  /// An array of the values `elements` point at (null for a null pointer), holding no
  /// references to them: each must stay alive until end() is called on the result.
  static Value make(std::span<const Value* const> elements) {
    return make(elements.size(), [&](std::size_t i) { return elements[i]; });
  }
  /// The same for `count` elements, the i-th where `element(i)` points: each is asked for as
  /// its slot is filled (no list of pointers in between).
  template <class Element> static Value make(std::size_t count, const Element& element) {
    void* raw = count <= spare_capacity ? borrowed_spare : nullptr;
    if (raw == nullptr) [[unlikely]]
      raw = new_block(count);
    else
      borrowed_spare = nullptr;
    auto* heap = ::new (raw) Value::Heap(TrailingElements{count, /*borrowed=*/true});
    Value* slots = std::launder(reinterpret_cast<Value*>(heap + 1));
    for (std::size_t i = 0; i < count; ++i) {
      Value* slot = ::new (slots + i) Value();
      if (const Value* source = element(i)) {
        slot->type_ = source->type_;
        std::memcpy(static_cast<void*>(&slot->int_), static_cast<const void*>(&source->int_),
                    sizeof(slot->int_));
      }
    }
    // heap->bytes stays 0 for the block's whole life: its size is counted whenever it is
    // asked for (Heap::bytes_of). Setting it in end() would race with a thread reading a
    // copy that the node handed over.
    Value result;
    result.type_ = ValueType::array;
    result.heap_ = heap;
    return result;
  }

  /// Ends what make() started, and leaves `value` null. When `value` holds the only
  /// reference to the array, the array is freed without touching its elements; when a copy
  /// of it was kept (a node returned it, stored it, handed it to a thread), the array first
  /// takes a counted reference to each element and then lives on as an ordinary array. Any
  /// other value is simply released.
  static void end(Value& value) noexcept {
    if (value.type_ != ValueType::array) {
      value.release();
      return;
    }
    Value::Heap* heap = value.heap_;
    const auto* trailing = std::get_if<TrailingElements>(&heap->body);
    if (trailing == nullptr || !trailing->borrowed) {
      value.release();
      return;
    }
    value.type_ = ValueType::null;
    value.int_ = 0;
    // The only reference: nobody else can take one now, and the elements were never counted.
    // The block becomes the thread's spare as it is (TrailingElements has nothing to
    // destroy; make() builds a new Heap in it).
    if (heap->refs.load(std::memory_order_acquire) == 1 && trailing->count <= spare_capacity &&
        borrowed_spare == nullptr && borrowed_spare_owned) [[likely]] {
      borrowed_spare = heap;
      return;
    }
    end_rarely(heap);
  }

private:
  // Raw memory for a block of `count` elements when no spare serves: room for
  // spare_capacity, or for more.
  static void* new_block(std::size_t count);
  // The rest of end(): a thread's first spare, a second list while one is kept, a long list,
  // or a copy that outlives the borrow.
  static void end_rarely(Value::Heap* heap) noexcept;
};

} // namespace sluice::detail
