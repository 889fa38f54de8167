// detail::BorrowedArray: arrays whose elements are uncounted for the length of one node
// invocation (see its header in sdk/internal).

#include "value_heap.hpp"

#include <sluice/detail/borrowed_array.hpp>

#include <utility>

namespace sluice {

using namespace detail;

namespace {

// Borrowed arrays of up to this many elements get a block with room for this many, so that
// one spare block serves any of them.
constexpr std::size_t spare_capacity = 8;

// The block of the last small borrowed array this thread ended, as raw memory, kept for its
// next make(): a node whose setting is a list of references gets a fresh array on every run,
// and a malloc and a free were ~100 instructions of a ~1,400-instruction node. Plain
// variables in the initial-exec model, so that the hot path reads them without a call (the
// SDK library is loaded with the program or the engine that needs it): a thread_local with a
// destructor would be guarded through __tls_get_addr on every access. The destructor lives
// in SpareOwner, made once per thread when the thread first keeps a block.
[[gnu::tls_model("initial-exec")]] thread_local void* spare = nullptr;
[[gnu::tls_model("initial-exec")]] thread_local bool spare_owned = false;

struct SpareOwner {
  ~SpareOwner() {
    ::operator delete(std::exchange(spare, nullptr));
    spare_owned = false;
  }
};

void keep_spare(void* raw) noexcept {
  if (!spare_owned) {
    thread_local SpareOwner owner; // frees the spare when the thread exits
    (void)owner;
    spare_owned = true;
  }
  spare = raw;
}

} // namespace

Value detail::BorrowedArray::make(std::span<const Value* const> elements) {
  Value result;
  Value::Heap* heap = nullptr;
  if (elements.size() <= spare_capacity) {
    // Room for spare_capacity elements, whatever the count: free_block() frees any size.
    void* raw = std::exchange(spare, nullptr);
    if (raw == nullptr)
      raw = ::operator new(sizeof(Value::Heap) + spare_capacity * sizeof(Value));
    heap = ::new (raw) Value::Heap(TrailingElements{elements.size()});
  } else {
    heap = Value::Heap::with_trailing_elements(elements.size());
  }
  std::get_if<TrailingElements>(&heap->body)->borrowed = true;
  Value* slots = std::launder(reinterpret_cast<Value*>(heap + 1));
  std::size_t bytes = value_bytes + block_bytes;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    Value* slot = ::new (slots + i) Value();
    if (const Value* source = elements[i]) {
      slot->type_ = source->type_;
      std::memcpy(static_cast<void*>(&slot->int_), static_cast<const void*>(&source->int_),
                  sizeof(slot->int_));
    }
    bytes = add_bytes(bytes, Value::Heap::bytes_of(*slot));
  }
  // Counted here, in the loop that copies: a node may return the list as its output.
  heap->bytes = bytes;
  result.type_ = ValueType::array;
  result.heap_ = heap;
  return result;
}

void detail::BorrowedArray::end(Value& value) noexcept {
  if (value.type_ != ValueType::array) {
    value.release();
    return;
  }
  Value::Heap* heap = value.heap_;
  auto* trailing = std::get_if<TrailingElements>(&heap->body);
  if (trailing == nullptr || !trailing->borrowed) {
    value.release();
    return;
  }
  value.type_ = ValueType::null;
  value.int_ = 0;
  // The only reference: nobody else can take one now, and the elements were never counted.
  if (heap->refs.load(std::memory_order_acquire) == 1) {
    if (trailing->count <= spare_capacity && spare == nullptr) {
      heap->~Heap(); // the elements are uncounted copies: nothing to destroy
      keep_spare(heap);
      return;
    }
    Value::Heap::free_block(heap);
    return;
  }
  // A copy outlives the borrow: count the elements, then it is an ordinary array. No other
  // owner can free the block before our reference is dropped below, which publishes this.
  for (Value& element : heap->mutable_arr())
    if (is_heap_type(element.type_))
      element.heap_->refs.fetch_add(1, std::memory_order_relaxed);
  trailing->borrowed = false;
  if (heap->drop_reference())
    Value::Heap::destroy(heap);
}

} // namespace sluice
