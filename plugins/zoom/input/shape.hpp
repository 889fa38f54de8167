#pragma once
// Shapes: the declarative description of a setting (kind, allowed values, range, length,
// members) that the meeting tables are written in, and the check of a value against one.

#include "problems.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice::zoom::detail {

enum class Kind : std::uint8_t { boolean, integer, string, array, object };
// Which request accepts a field: the create and update bodies differ slightly in the spec.
enum class Op : std::uint8_t { both, create, update };

struct Field;

struct Shape {
  Kind kind = Kind::string;
  const std::int64_t* int_values = nullptr; // allowed integers, `value_count` of them
  const std::string_view* string_values = nullptr;
  std::size_t value_count = 0;
  std::int64_t min = std::numeric_limits<std::int64_t>::min();
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::size_t max_length = 0; // strings: characters, arrays: items; 0 = no limit
  bool email = false;
  const Shape* items = nullptr;  // arrays
  const Field* fields = nullptr; // objects
  std::size_t field_count = 0;
  std::string_view what = {}; // for messages: "minutes", "meeting setting", ...
};

struct Field {
  std::string_view name;
  Shape shape;
  Op op = Op::both;
  bool required = false;
};

template <std::size_t N> constexpr Shape int_enum(const std::int64_t (&values)[N]) {
  return Shape{.kind = Kind::integer, .int_values = values, .value_count = N};
}
template <std::size_t N> constexpr Shape string_enum(const std::string_view (&values)[N]) {
  return Shape{.kind = Kind::string, .string_values = values, .value_count = N};
}
template <std::size_t N>
constexpr Shape object_of(const Field (&fields)[N], std::string_view what) {
  return Shape{.kind = Kind::object, .fields = fields, .field_count = N, .what = what};
}
constexpr Shape list_of(const Shape& items, std::size_t max_items = 0) {
  return Shape{.kind = Kind::array, .max_length = max_items, .items = &items};
}
constexpr Shape integer_range(std::int64_t min, std::int64_t max, std::string_view what = {}) {
  return Shape{.kind = Kind::integer, .min = min, .max = max, .what = what};
}
constexpr Shape text_up_to(std::size_t characters) {
  return Shape{.kind = Kind::string, .max_length = characters};
}

// The members of an object shape.
inline std::span<const Field> fields_of(const Shape& shape) {
  return {shape.fields, shape.field_count};
}

inline bool accepted_by(const Field& field, Op op) {
  return field.op == Op::both || field.op == op;
}

const Field* find_field(const Shape& shape, std::string_view name);

// The problem of a field that `op` does not take: "is not accepted when updating a meeting
// (Zoom's API has it only when creating a meeting)".
std::string not_accepted_message(const Field& field, Op op);

// Checks `value` against `shape`; returns it with null members dropped (null = unset), or
// nothing when it is invalid (problems added, reported under `path`).
std::optional<Value> check_shape(const Shape& shape, const Value& value, const std::string& path,
                                 Op op, Problems& problems);

} // namespace sluice::zoom::detail
