#pragma once
// Owns the approximate size of a Value as Limits::output_bytes counts it: a walk that visits
// values one at a time (no recursion, whatever the nesting) and stops as soon as the count
// passes its bound, so measuring a huge value costs no more than measuring one at the limit.

#include <sluice/value.hpp>

#include <cstddef>

namespace sluice::detail {

/// What one value counts for itself, and what a string, list or object counts for the shared
/// block that holds it (the SDK's block is at most 48 bytes).
inline constexpr std::size_t value_bytes = sizeof(Value);
inline constexpr std::size_t block_bytes = 48;

/// The approximate size of `value`: `value_bytes` per value, `block_bytes` more per string,
/// list and object, plus the bytes of every string and member name. Once the count passes
/// `bound` the walk stops and returns it (some number above `bound`), so it visits at most
/// bound / value_bytes + 1 values. A value shared by several places counts once per place.
std::size_t approximate_size(const Value& value, std::size_t bound);

/// Whether `value`'s approximate size is above `bound`. A scalar is answered here, without a
/// call: most node outputs on the executor's fast path are checked with this.
inline bool larger_than(const Value& value, std::size_t bound) {
  if (value.type() < ValueType::string)
    return value_bytes > bound;
  return approximate_size(value, bound) > bound;
}

} // namespace sluice::detail
