// Value: construction, copies and release, and reading (accessors, member and path lookup).
// Scalars are inline; strings, arrays and objects live in one shared heap block
// (value_heap.hpp). See value.hpp for the contract.

#include <sluice/detail/value_heap.hpp>

#include <sluice/value.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>
#include <string>
#include <tuple>
#include <unordered_map>
#include <variant>

namespace sluice {

using namespace detail; // the heap block's helpers (value_heap.hpp)

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
  // 56 bytes and malloc's 8-byte header: one 64-byte chunk.
  static_assert(sizeof(Heap) <= 56, "a heap block should fit a 64-byte malloc chunk");
  heap_ = new Heap(std::string(s));
  heap_->count_bytes();
}

Value::Value(std::string&& s) : type_(ValueType::string) {
  heap_ = new Heap(std::move(s));
  heap_->count_bytes();
}

Value::Value(Array elements) : type_(ValueType::array) {
  heap_ = new Heap(std::move(elements));
  heap_->count_bytes();
}

Value Value::array_from(std::span<Value> elements) {
  Value result;
  Heap* heap = Heap::with_trailing_elements(elements.size());
  Value* slots = std::launder(reinterpret_cast<Value*>(heap + 1));
  std::size_t bytes = value_bytes + block_bytes;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    bytes = Heap::plus_element(bytes, elements[i]);
    ::new (slots + i) Value(std::move(elements[i]));
  }
  heap->bytes = bytes; // counted in the loop that moves (count_bytes() would walk again)
  result.type_ = ValueType::array;
  result.heap_ = heap;
  return result;
}

namespace {
// The first eight bytes of `key` as a big-endian number, zeros past its end: comparing two
// of them orders the keys as a byte-wise comparison of those bytes does.
std::uint64_t key_prefix(std::string_view key) noexcept {
  std::uint64_t number = 0;
  std::memcpy(&number, key.data(), std::min<std::size_t>(key.size(), 8));
  if constexpr (std::endian::native == std::endian::little)
    number = __builtin_bswap64(number);
  return number;
}

// Whether the `n` keys `key(0)`.. are all different. Quadratic, for objects of up to
// kIndexThreshold members: comparing a handful of short keys beats sorting them.
template <class Key> bool keys_unique(std::size_t n, Key key) noexcept {
  for (std::size_t i = 1; i < n; ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (key(i) == key(j))
        return false;
  return true;
}
} // namespace

Value Value::object(std::initializer_list<std::pair<std::string_view, Value>> members) {
  const auto* given = members.begin();
  const std::size_t n = members.size();
  if (n > kIndexThreshold ||
      !keys_unique(n, [given](std::size_t i) noexcept { return given[i].first; })) {
    Object all;
    all.reserve(n);
    for (const auto& [key, value] : members)
      all.emplace_back(std::string(key), value);
    return Value(std::move(all));
  }
  Value result;
  result.heap_ = Heap::with_members_made(n, [given](std::size_t i, void* where) -> Heap::Member& {
    // In place: a key made first and moved in was copied twice more (four memcpy calls
    // for a short key instead of one).
    return *::new (where)
        Heap::Member(std::piecewise_construct, std::forward_as_tuple(given[i].first),
                     std::forward_as_tuple(given[i].second));
  });
  result.type_ = ValueType::object;
  return result;
}

Value::Value(Object members) : type_(ValueType::object) {
  ObjectBody body;
  const std::size_t n = members.size();
  if (n <= kIndexThreshold) {
    // The common case has unique keys: one block, the members moved into it (moves do not
    // throw), and the caller's vector freed at once.
    if (keys_unique(n, [&members](std::size_t i) noexcept -> const std::string& {
          return members[i].first;
        })) {
      heap_ = Heap::with_members_made(
          n, [&members](std::size_t i, void* where) noexcept -> Heap::Member& {
            return *::new (where) Heap::Member(std::move(members[i]));
          });
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
    // Up to 32 members the positions live on the stack and are sorted by insertion: the
    // vector of positions, std::stable_sort's buffer and the vector of dropped flags were
    // three allocations per object (a node's 17 settings, a 25-key answer of an API), and
    // most of the cost of building one.
    constexpr std::size_t on_stack = 32;
    std::size_t stack_order[on_stack];
    std::unique_ptr<std::size_t[]> heap_order;
    if (n > on_stack)
      heap_order = std::make_unique_for_overwrite<std::size_t[]>(n);
    std::size_t* const order = n > on_stack ? heap_order.get() : stack_order;
    std::iota(order, order + n, std::size_t{0});
    if (n > on_stack) {
      std::stable_sort(order, order + n, [&](std::size_t a, std::size_t b) {
        return members[a].first < members[b].first;
      });
    } else {
      // Keys are compared by their first eight bytes as one big-endian number, and in full
      // only when those are equal: a string comparison (a memcmp call) per step was half the
      // cost of building a Zoom meeting's two objects.
      std::uint64_t prefix[on_stack];
      for (std::size_t i = 0; i < n; ++i)
        prefix[i] = key_prefix(members[i].first);
      const auto before = [&](std::size_t a, std::size_t b) {
        return prefix[a] != prefix[b] ? prefix[a] < prefix[b] : members[a].first < members[b].first;
      };
      for (std::size_t i = 1; i < n; ++i) {
        const std::size_t moving = order[i];
        std::size_t j = i;
        for (; j > 0 && before(moving, order[j - 1]); --j)
          order[j] = order[j - 1];
        order[j] = moving;
      }
    }
    bool duplicates = false;
    for (std::size_t i = 1; i < n && !duplicates; ++i)
      duplicates = members[order[i]].first == members[order[i - 1]].first;
    if (!duplicates) {
      // Unique keys: adopt the caller's vector; the sorted positions are the index.
      body.members = std::move(members);
      body.index = std::make_unique_for_overwrite<std::size_t[]>(n);
      std::copy(order, order + n, body.index.get());
      heap_ = new Heap(std::move(body));
      heap_->count_bytes();
      return;
    }
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
    for (std::size_t k = 0; k < n; ++k)
      if (!dropped[order[k]])
        body.index[at++] = new_pos[order[k]];
  }
  heap_ = new Heap(std::move(body));
  heap_->count_bytes();
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

namespace {
// An object of more than kIndexThreshold members: a binary search of its index. Out of line,
// so that find()'s common case (a few members, searched in a row) saves no registers for it.
[[gnu::noinline]] const Value* find_indexed(std::span<const std::pair<std::string, Value>> members,
                                            const std::size_t* index,
                                            std::string_view key) noexcept {
  const std::size_t* end = index + members.size();
  const std::size_t* it = std::lower_bound(
      index, end, key, [&](std::size_t pos, std::string_view k) { return members[pos].first < k; });
  if (it != end && members[*it].first == key)
    return &members[*it].second;
  return nullptr;
}
} // namespace

const Value* Value::find(std::string_view key) const noexcept {
  if (type_ != ValueType::object)
    return nullptr;
  const auto members = heap_->members();
  if (const std::size_t* index = heap_->index())
    return find_indexed(members, index, key);
  for (const auto& m : members)
    if (same_key(m.first, key))
      return &m.second;
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

const Value& Value::null_value() noexcept {
  static const Value null;
  return null;
}

} // namespace sluice
