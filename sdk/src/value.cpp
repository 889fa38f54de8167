// Value storage: scalars inline, strings/arrays/objects in one shared, refcounted,
// immutable heap block. See value.hpp for the contract.

#include <sluice/detail/borrowed_array.hpp>
#include <sluice/value.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>
#include <string>
#include <unordered_map>
#include <variant>

namespace sluice {

namespace {

// Objects up to this many members are searched linearly: comparing a handful of short keys
// beats a binary search over an index, and small objects (the common case) pay no memory
// for one.
constexpr std::size_t kIndexThreshold = 12;

constexpr bool is_heap_type(ValueType t) noexcept {
  return t == ValueType::string || t == ValueType::array || t == ValueType::object;
}

// Exact comparison of an int64 with a double: 2^53 + 1 must not equal 2^53 as a double,
// so we never convert the integer to double.
bool int_equals_double(std::int64_t i, double d) noexcept {
  // [-2^63, 2^63) is exactly the range where the cast below is defined; NaN fails both tests.
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
    return false;
  if (std::trunc(d) != d)
    return false;
  return static_cast<std::int64_t>(d) == i;
}

// Member names are short: comparing their bytes here beats a call to memcmp, which
// `std::string == std::string_view` makes for every member of the same length.
bool same_key(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  if (a.size() > 16)
    return std::memcmp(a.data(), b.data(), a.size()) == 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i])
      return false;
  return true;
}

} // namespace

// The one heap block type. `index` (objects only, and only above kIndexThreshold members)
// holds member positions sorted by key so that `find` is a binary search.
// A pointer rather than a vector: it keeps the block at 48 bytes (a 64-byte malloc chunk
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

struct Value::Heap {
  using Member = std::pair<std::string, Value>;

  // Starts at 1: the Value that creates the block owns the first reference.
  std::atomic<std::size_t> refs{1};
  std::variant<std::string, Array, ObjectBody, TrailingElements, TrailingMembers> body;

  template <class T> explicit Heap(T&& b) : body(std::forward<T>(b)) {}

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

  /// A block with room for `count` items after it (TrailingElements: Values,
  /// TrailingMembers: Members); the caller constructs them. free_block() frees it.
  template <class Body, class Item> static Heap* with_trailing(std::size_t count) {
    void* raw = ::operator new(sizeof(Heap) + count * sizeof(Item));
    return ::new (raw) Heap(Body{count});
  }
  static Heap* with_trailing_elements(std::size_t count) {
    return with_trailing<TrailingElements, Value>(count);
  }
  static Heap* with_trailing_members(std::size_t count) {
    return with_trailing<TrailingMembers, Member>(count);
  }

  /// Frees a block whose children are already detached (null): the one place that knows
  /// how each layout was allocated.
  static void free_block(Heap* h) noexcept {
    if (std::holds_alternative<TrailingElements>(h->body)) {
      // The elements are null (or uncounted copies): nothing for their destructors to do.
      h->~Heap();
      ::operator delete(h);
    } else if (std::holds_alternative<TrailingMembers>(h->body)) {
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
    if (const auto* trailing = std::get_if<TrailingElements>(&body))
      return {std::launder(reinterpret_cast<const Value*>(this + 1)), trailing->count};
    return *std::get_if<Array>(&body);
  }
  std::span<Value> mutable_arr() noexcept {
    if (const auto* trailing = std::get_if<TrailingElements>(&body))
      return {std::launder(reinterpret_cast<Value*>(this + 1)), trailing->count};
    return *std::get_if<Array>(&body);
  }
  std::span<const Member> members() const noexcept {
    if (const auto* trailing = std::get_if<TrailingMembers>(&body))
      return {std::launder(reinterpret_cast<const Member*>(this + 1)), trailing->count};
    return std::get_if<ObjectBody>(&body)->members;
  }
  std::span<Member> mutable_members() noexcept {
    if (const auto* trailing = std::get_if<TrailingMembers>(&body))
      return {std::launder(reinterpret_cast<Member*>(this + 1)), trailing->count};
    return std::get_if<ObjectBody>(&body)->members;
  }
  /// Member positions sorted by key (members().size() of them), or null.
  const std::size_t* index() const noexcept {
    const auto* object = std::get_if<ObjectBody>(&body);
    return object != nullptr ? object->index.get() : nullptr;
  }
  bool is_object() const noexcept {
    return std::holds_alternative<ObjectBody>(body) ||
           std::holds_alternative<TrailingMembers>(body);
  }

  // Frees `root` and every block that becomes unreferenced because of it. Iterative: a
  // recursive destructor would overflow the stack on deeply nested values (a million
  // nested arrays is a few lines of JSON-free C++). Each child is detached from its parent
  // (its reference dropped and the slot reset to null) before the parent is deleted, so the
  // parent's vector destructor never recurses.
  static void destroy(Heap* root) noexcept {
    std::vector<Heap*> pending; // allocates only when a child block also dies
    Heap* h = root;
    for (;;) {
      auto detach = [&pending](Value& child) noexcept {
        if (!is_heap_type(child.type_))
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

static_assert(sizeof(Value) == 16, "Value must stay two words");

std::string_view to_string(ValueType type) noexcept {
  switch (type) {
  case ValueType::null:
    return "null";
  case ValueType::boolean:
    return "boolean";
  case ValueType::integer:
    return "integer";
  case ValueType::number:
    return "number";
  case ValueType::string:
    return "string";
  case ValueType::array:
    return "array";
  case ValueType::object:
    return "object";
  }
  return "unknown";
}

Value::Value(std::string_view s) : type_(ValueType::string) {
  // (Here because Heap is private to Value.)
  static_assert(sizeof(Heap) <= 48, "a heap block should fit a 64-byte malloc chunk");
  heap_ = new Heap(std::string(s));
}

Value::Value(std::string&& s) : type_(ValueType::string) {
  heap_ = new Heap(std::move(s));
}

Value::Value(Array elements) : type_(ValueType::array) {
  heap_ = new Heap(std::move(elements));
}

Value Value::array_from(std::span<Value> elements) {
  Value result;
  Heap* heap = Heap::with_trailing_elements(elements.size());
  Value* slots = std::launder(reinterpret_cast<Value*>(heap + 1));
  for (std::size_t i = 0; i < elements.size(); ++i)
    ::new (slots + i) Value(std::move(elements[i]));
  result.type_ = ValueType::array;
  result.heap_ = heap;
  return result;
}

Value::Value(Object members) : type_(ValueType::object) {
  ObjectBody body;
  const std::size_t n = members.size();
  if (n <= kIndexThreshold) {
    // Quadratic but tiny. The common case has unique keys: adopt the caller's vector as it
    // is (no second allocation, no member moves).
    bool unique = true;
    for (std::size_t i = 1; i < n && unique; ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (members[i].first == members[j].first) {
          unique = false;
          break;
        }
    if (unique) {
      Heap* heap = Heap::with_trailing_members(n);
      auto* slots = std::launder(reinterpret_cast<Heap::Member*>(heap + 1));
      // Moving a string and a Value cannot throw: no partial block to clean up.
      for (std::size_t i = 0; i < n; ++i)
        ::new (slots + i) Heap::Member(std::move(members[i]));
      heap_ = heap;
      return;
    }
    // Merge duplicates, keeping the first key's position.
    Object& out = body.members;
    out.reserve(n);
    for (auto& m : members) {
      auto it =
          std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == m.first; });
      if (it != out.end())
        it->second = std::move(m.second);
      else
        out.push_back(std::move(m));
    }
  } else {
    // Stable sort of positions by key: within a run of equal keys the first entry is the
    // earliest position (which keeps its place) and the last entry carries the winning value.
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return members[a].first < members[b].first;
    });
    std::vector<bool> dropped(n, false);
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i + 1;
      while (j < n && members[order[j]].first == members[order[i]].first)
        ++j;
      if (j - i > 1) {
        members[order[i]].second = std::move(members[order[j - 1]].second);
        for (std::size_t k = i + 1; k < j; ++k)
          dropped[order[k]] = true;
      }
      i = j;
    }
    if (std::find(dropped.begin(), dropped.end(), true) == dropped.end()) {
      // Unique keys: adopt the caller's vector; the sorted positions are the index.
      body.members = std::move(members);
      body.index = std::make_unique_for_overwrite<std::size_t[]>(n);
      std::copy(order.begin(), order.end(), body.index.get());
      heap_ = new Heap(std::move(body));
      return;
    }
    std::vector<std::size_t> new_pos(n, 0);
    body.members.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (dropped[i])
        continue;
      new_pos[i] = body.members.size();
      body.members.push_back(std::move(members[i]));
    }
    body.index = std::make_unique_for_overwrite<std::size_t[]>(body.members.size());
    std::size_t at = 0;
    for (std::size_t pos : order)
      if (!dropped[pos])
        body.index[at++] = new_pos[pos];
  }
  heap_ = new Heap(std::move(body));
}

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

Value::Value(const Value& other) noexcept : type_(other.type_) {
  if (is_heap_type(type_)) {
    heap_ = other.heap_;
    // Relaxed is enough: the new reference is derived from one we already hold, and the
    // block is immutable, so there is nothing to publish.
    heap_->refs.fetch_add(1, std::memory_order_relaxed);
  } else if (type_ == ValueType::number) {
    double_ = other.double_;
  } else {
    int_ = other.int_;
  }
}

Value::Value(Value&& other) noexcept : type_(other.type_) {
  std::memcpy(static_cast<void*>(&int_), static_cast<const void*>(&other.int_), sizeof(int_));
  other.type_ = ValueType::null;
  other.int_ = 0;
}

Value& Value::operator=(const Value& other) noexcept {
  // Take the new reference before dropping the old one: `other` may live inside the block
  // this value is about to release (v = v["child"]).
  Value copy(other);
  *this = std::move(copy);
  return *this;
}

Value& Value::operator=(Value&& other) noexcept {
  if (this == &other)
    return *this;
  Value old(std::move(*this)); // released when `old` goes out of scope, after the steal
  type_ = other.type_;
  std::memcpy(static_cast<void*>(&int_), static_cast<const void*>(&other.int_), sizeof(int_));
  other.type_ = ValueType::null;
  other.int_ = 0;
  return *this;
}

Value::~Value() {
  release();
}

void Value::release() noexcept {
  if (!is_heap_type(type_))
    return;
  Heap* h = heap_;
  type_ = ValueType::null;
  int_ = 0;
  if (h->drop_reference())
    Heap::destroy(h);
}

namespace {
[[noreturn]] void type_error(ValueType expected, ValueType got) {
  std::string msg = "expected ";
  msg += to_string(expected);
  msg += ", got ";
  msg += to_string(got);
  throw TypeError(msg);
}
} // namespace

bool Value::as_bool() const {
  if (type_ != ValueType::boolean)
    type_error(ValueType::boolean, type_);
  return int_ != 0;
}

std::int64_t Value::as_int() const {
  if (type_ != ValueType::integer)
    type_error(ValueType::integer, type_);
  return int_;
}

double Value::as_double() const {
  if (type_ == ValueType::number)
    return double_;
  if (type_ == ValueType::integer)
    return static_cast<double>(int_);
  type_error(ValueType::number, type_);
}

std::string_view Value::as_string() const {
  if (type_ != ValueType::string)
    type_error(ValueType::string, type_);
  return heap_->str();
}

std::span<const Value> Value::as_array() const {
  if (type_ != ValueType::array)
    type_error(ValueType::array, type_);
  return heap_->arr();
}

std::span<const std::pair<std::string, Value>> Value::as_object() const {
  if (type_ != ValueType::object)
    type_error(ValueType::object, type_);
  return heap_->members();
}

std::size_t Value::size() const noexcept {
  switch (type_) {
  case ValueType::string:
    return heap_->str().size();
  case ValueType::array:
    return heap_->arr().size();
  case ValueType::object:
    return heap_->members().size();
  default:
    return 0;
  }
}

const Value* Value::find(std::string_view key) const noexcept {
  if (type_ != ValueType::object)
    return nullptr;
  const auto members = heap_->members();
  const std::size_t* index = heap_->index();
  if (index == nullptr) {
    for (const auto& m : members)
      if (same_key(m.first, key))
        return &m.second;
    return nullptr;
  }
  const std::size_t* end = index + members.size();
  const std::size_t* it = std::lower_bound(
      index, end, key, [&](std::size_t pos, std::string_view k) { return members[pos].first < k; });
  if (it != end && members[*it].first == key)
    return &members[*it].second;
  return nullptr;
}

const Value& Value::operator[](std::string_view key) const noexcept {
  const Value* v = find(key);
  return v ? *v : null_value();
}

const Value& Value::operator[](std::size_t index) const noexcept {
  if (type_ != ValueType::array)
    return null_value();
  const std::span<const Value> a = heap_->arr();
  return index < a.size() ? a[index] : null_value();
}

const Value* Value::find(const Path& path) const noexcept {
  const Value* cur = this;
  for (const Path::Segment& seg : path.segments()) {
    if (const std::string* key = std::get_if<std::string>(&seg)) {
      cur = cur->find(std::string_view(*key));
    } else {
      std::size_t i = std::get<std::size_t>(seg);
      if (cur->type_ != ValueType::array)
        return nullptr;
      const std::span<const Value> elements = cur->heap_->arr();
      if (i >= elements.size())
        return nullptr;
      cur = &elements[i];
    }
    if (cur == nullptr)
      return nullptr;
  }
  return cur;
}

Value Value::at(std::string_view path) const {
  const Value* v = find(Path::parse(path));
  return v ? *v : Value();
}

bool Value::truthy() const noexcept {
  switch (type_) {
  case ValueType::null:
    return false;
  case ValueType::boolean:
  case ValueType::integer:
    return int_ != 0;
  case ValueType::number:
    return double_ != 0.0; // NaN is "true otherwise", as documented
  default:
    return size() != 0;
  }
}

std::string Value::to_text() const {
  switch (type_) {
  case ValueType::null:
    return {};
  case ValueType::string:
    return heap_->str();
  default:
    return to_json();
  }
}

bool operator==(const Value& a, const Value& b) noexcept {
  // Iterative with an explicit stack of pairs still to compare, so comparing values nested
  // deeper than the call stack allows is fine. `pending` allocates only for containers.
  std::vector<std::pair<const Value*, const Value*>> pending;
  const Value* x = &a;
  const Value* y = &b;
  for (;;) {
    const ValueType tx = x->type_;
    const ValueType ty = y->type_;
    if (tx != ty) {
      if (tx == ValueType::integer && ty == ValueType::number) {
        if (!int_equals_double(x->int_, y->double_))
          return false;
      } else if (tx == ValueType::number && ty == ValueType::integer) {
        if (!int_equals_double(y->int_, x->double_))
          return false;
      } else {
        return false;
      }
    } else {
      switch (tx) {
      case ValueType::null:
        break;
      case ValueType::boolean:
      case ValueType::integer:
        if (x->int_ != y->int_)
          return false;
        break;
      case ValueType::number:
        if (!(x->double_ == y->double_)) // IEEE: NaN != NaN, -0.0 == 0.0
          return false;
        break;
      case ValueType::string:
        if (x->heap_ != y->heap_ && x->heap_->str() != y->heap_->str())
          return false;
        break;
      case ValueType::array: {
        if (x->heap_ == y->heap_)
          break;
        const std::span<const Value> ea = x->heap_->arr();
        const std::span<const Value> eb = y->heap_->arr();
        if (ea.size() != eb.size())
          return false;
        // (Out of memory here terminates: the operator is noexcept.)
        for (std::size_t i = ea.size(); i-- > 0;)
          pending.emplace_back(&ea[i], &eb[i]);
        break;
      }
      case ValueType::object: {
        if (x->heap_ == y->heap_)
          break;
        const auto ma = x->heap_->members();
        if (ma.size() != y->heap_->members().size())
          return false;
        // Keys are unique on both sides and the counts match, so a one-way lookup suffices.
        for (const auto& m : ma) {
          const Value* other = y->find(std::string_view(m.first));
          if (other == nullptr)
            return false;
          pending.emplace_back(&m.second, other);
        }
        break;
      }
      }
    }
    if (pending.empty())
      return true;
    x = pending.back().first;
    y = pending.back().second;
    pending.pop_back();
  }
}

const Value& Value::null_value() noexcept {
  static const Value null;
  return null;
}

} // namespace sluice
