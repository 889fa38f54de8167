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

#include <sluice/export.hpp>
#include <sluice/value.hpp>

#include <cstddef>

namespace sluice::detail {

struct SLUICE_SDK_API ValueSize {
  static std::size_t of(const Value& value) noexcept;
};

inline std::size_t approximate_size(const Value& value) noexcept {
  return ValueSize::of(value);
}

/// Whether `value` counts for more than `bound`. A scalar is answered here, without a call:
/// most node outputs on the executor's fast path are checked with this.
inline bool larger_than(const Value& value, std::size_t bound) noexcept {
  if (value.type() < ValueType::string)
    return sizeof(Value) > bound;
  return ValueSize::of(value) > bound;
}

} // namespace sluice::detail
