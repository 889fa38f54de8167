#pragma once
/// @file
/// For the engine, not for plugins: arrays that borrow their elements for the length of one
/// node invocation. Not installed (sdk/internal/ is on the include path of the engine and the
/// tests only); it is built into the SDK library because it makes Value blocks directly, and
/// the engine and the SDK are always built together.
///
/// A node whose setting is a list of references (`values: ["{{ a.x }}", "{{ b.x }}"]`) gets
/// a fresh array on every run. Counting a reference to every element on the way in and out
/// costs two locked instructions per element, more than the rest of building the array.
/// While the node runs, the elements are kept alive anyway by the run's results, so the
/// array may hold uncounted copies of them, provided that it either dies before those
/// results do, or starts counting its elements before it can outlive them: end() does one
/// or the other.

#include <sluice/export.hpp>
#include <sluice/value.hpp>

#include <span>

namespace sluice::detail {

class SLUICE_SDK_API BorrowedArray {
public:
  /// An array of the values `elements` point at (null for a null pointer), holding no
  /// references to them: each must stay alive until end() is called on the result.
  static Value make(std::span<const Value* const> elements);

  /// Ends what make() started, and leaves `value` null. When `value` holds the only
  /// reference to the array, the array is freed without touching its elements; when a copy
  /// of it was kept (a node returned it, stored it, handed it to a thread), the array first
  /// takes a counted reference to each element and then lives on as an ordinary array. Any
  /// other value is simply released.
  static void end(Value& value) noexcept;
};

} // namespace sluice::detail
