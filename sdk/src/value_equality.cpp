// Deep equality of Values: iterative, integers equal to the doubles of the same value.

#include <sluice/detail/value_heap.hpp>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace sluice {

namespace {

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

} // namespace

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

} // namespace sluice
