// detail::BorrowedArray: what is rare about arrays whose elements are uncounted for the length
// of one node invocation (the common paths are inline in its header in sdk/internal), and the
// thread's spare block.

#include <sluice/detail/borrowed_array.hpp>

#include <algorithm>
#include <utility>

namespace sluice::detail {

constinit thread_local void* borrowed_spare [[gnu::tls_model("initial-exec")]] = nullptr;
constinit thread_local bool borrowed_spare_owned [[gnu::tls_model("initial-exec")]] = false;

namespace {

struct SpareOwner {
  ~SpareOwner() {
    ::operator delete(std::exchange(borrowed_spare, nullptr));
    borrowed_spare_owned = false;
  }
};

} // namespace

void* BorrowedArray::new_block(std::size_t count) {
  // Room for spare_capacity elements, whatever the count, so that the block can become the
  // spare: free_block() frees any size.
  return ::operator new(sizeof(Value::Heap) + std::max(count, spare_capacity) * sizeof(Value));
}

void BorrowedArray::end_rarely(Value::Heap* heap) noexcept {
  auto* trailing = std::get_if<TrailingElements>(&heap->body);
  if (heap->refs.load(std::memory_order_acquire) == 1) {
    if (trailing->count <= spare_capacity && borrowed_spare == nullptr) {
      if (!borrowed_spare_owned) {
        thread_local SpareOwner owner; // frees the spare when the thread exits
        (void)owner;
        borrowed_spare_owned = true;
      }
      borrowed_spare = heap; // as in end(): nothing in the block to destroy
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

} // namespace sluice::detail
