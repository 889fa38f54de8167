#pragma once
/// @file
/// For the engine, not for plugins (not installed, like borrowed_array.hpp): the size of a
/// value as Limits::output_bytes counts it.
///
/// 16 bytes per value, 48 more per string, list and object, plus the bytes of every string
/// and member name; a value shared by several places counts once per place, as it would
/// when printed. Every string, list and object block keeps the figure for itself and what
/// it holds, computed once when it is made from its parts' figures, so reading it takes
/// constant time: a node's output used to be walked (up to the limit, 64 MiB by default)
/// after every call. The sum saturates instead of wrapping.

#include <sluice/detail/value_heap.hpp>
#include <sluice/value.hpp>

#include <cstddef>

namespace sluice::detail {

inline std::size_t approximate_size(const Value& value) noexcept {
  return ValueAccess::approximate_size(value);
}

/// Whether `value` counts for more than `bound`.
inline bool larger_than(const Value& value, std::size_t bound) noexcept {
  if (!is_heap_type(value.type()))
    return value_bytes > bound;
  return ValueAccess::approximate_size(value) > bound;
}

} // namespace sluice::detail
