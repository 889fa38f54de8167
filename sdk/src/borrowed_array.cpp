// detail::BorrowedArray: arrays whose elements are uncounted for the length of one node
// invocation (see its header in sdk/internal).

#include "value_heap.hpp"

#include <sluice/detail/borrowed_array.hpp>

namespace sluice {

using namespace detail;

Value detail::BorrowedArray::make(std::span<const Value* const> elements) {
  Value result;
  Value::Heap* heap = Value::Heap::with_trailing_elements(elements.size());
  std::get_if<TrailingElements>(&heap->body)->borrowed = true;
  Value* slots = std::launder(reinterpret_cast<Value*>(heap + 1));
  for (std::size_t i = 0; i < elements.size(); ++i) {
    Value* slot = ::new (slots + i) Value();
    if (const Value* source = elements[i]) {
      slot->type_ = source->type_;
      std::memcpy(static_cast<void*>(&slot->int_), static_cast<const void*>(&source->int_),
                  sizeof(slot->int_));
    }
  }
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
