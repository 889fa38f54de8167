#pragma once
/// @file
/// `sluice::Value`: the immutable JSON-like value that nodes exchange.

#include <sluice/export.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sluice {

namespace detail {
class BorrowedArray;
struct ValueAccess;
} // namespace detail

/// The kinds of value. `integer` is a signed 64-bit integer, `number` a double.
enum class ValueType : std::uint8_t { null, boolean, integer, number, string, array, object };

/// "null", "boolean", "integer", "number", "string", "array" or "object".
SLUICE_SDK_API std::string_view to_string(ValueType type) noexcept;

class Value;
/// Elements of an array value.
using Array = std::vector<Value>;
/// Members of an object value, in insertion order; keys are unique.
using Object = std::vector<std::pair<std::string, Value>>;

/// Thrown by the `as_*` accessors when the value has another type.
class SLUICE_SDK_API TypeError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Thrown by `Value::parse_json`; `offset()` is the byte offset of the problem when known.
class SLUICE_SDK_API JsonError : public std::runtime_error {
public:
  JsonError(const std::string& message, std::size_t offset = npos);
  std::size_t offset() const noexcept { return offset_; }
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
  std::size_t offset_;
};

/// A malformed path. `what()` is the whole message; `expected()` says what the parser wanted
/// and `offset()` where, in bytes from the start of the parsed text.
class SLUICE_SDK_API PathSyntaxError : public std::invalid_argument {
public:
  PathSyntaxError(const std::string& message, std::string expected, std::size_t offset);
  const std::string& expected() const noexcept { return expected_; }
  std::size_t offset() const noexcept { return offset_; }

private:
  std::string expected_;
  std::size_t offset_;
};

/// A parsed path into a value: `a.b[2].c`, `items[0]`, `["key with.dot"]`.
///
/// Parse once, look up many times. Keys are object member names (`name` is
/// `[A-Za-z_][A-Za-z0-9_-]*`; any other key is quoted), indices array positions. Inside
/// brackets, white space is allowed around the index or key, and a quoted key may use the escapes
/// `\\`, `\"`, `\'`, `\n` and `\t`.
class SLUICE_SDK_API Path {
public:
  using Segment = std::variant<std::string, std::size_t>;

  Path() = default;
  /// Parses all of `text`; throws `PathSyntaxError` (a `std::invalid_argument`) naming the
  /// offending character. The empty string is the empty path (the value itself).
  static Path parse(std::string_view text);
  /// Parses the `.name`, `[index]` and `["key"]` segments at the start of `text`, stopping
  /// at the first character that cannot begin another one, and sets `length` to the bytes
  /// read. For paths embedded in a longer text, as in the template `{{ node.items[0].id }}`
  /// after its root `node`. Throws `PathSyntaxError` on a malformed segment.
  static Path parse_segments(std::string_view text, std::size_t& length);

  std::span<const Segment> segments() const noexcept { return segments_; }
  bool empty() const noexcept { return segments_.empty(); }
  /// The canonical text form (`a.b[2]`).
  std::string to_string() const;

  /// Appends a member name.
  void push_back(std::string key) {
    segments_.emplace_back(std::in_place_type<std::string>, std::move(key));
  }
  /// Appends an array index.
  void push_back(std::size_t index) {
    segments_.emplace_back(std::in_place_type<std::size_t>, index);
  }

private:
  std::vector<Segment> segments_;
};

/// An immutable JSON-like value: null, bool, int64, double, string, array or object.
///
/// Copies are cheap (scalars are stored inline, strings/arrays/objects are shared and
/// reference-counted) and a Value may be read from many threads at once; no operation
/// mutates a value after construction. Integers keep all 64 bits (Zoom meeting ids exceed
/// 2^53), and `integer` and `number` compare equal when they denote the same number.
///
/// ```
/// Value meeting = Value::parse_json(R"({"id": 85746065432, "topic": "Standup"})");
/// std::int64_t id = meeting["id"].as_int();
/// Value topic = meeting.at("topic");             // "Standup"
/// std::string json = meeting.to_json();          // {"id":85746065432,"topic":"Standup"}
/// ```
class SLUICE_SDK_API Value {
public:
  Value() noexcept : type_(ValueType::null), int_(0) {}
  Value(std::nullptr_t) noexcept : Value() {}
  Value(bool b) noexcept : type_(ValueType::boolean), int_(b ? 1 : 0) {}
  /// Any integer type except bool and char types; unsigned values above INT64_MAX throw
  /// `std::out_of_range`.
  // (clang-format 14 mangles requires-clauses.)
  // clang-format off
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char> && !std::same_as<T, char8_t>)
  Value(T i) : type_(ValueType::integer), int_(checked_int(i)) {}
  // clang-format on
  Value(double d) noexcept : type_(ValueType::number), double_(d) {}
  Value(std::string_view s);
  Value(const std::string& s) : Value(std::string_view(s)) {}
  Value(std::string&& s);
  Value(const char* s) : Value(std::string_view(s)) {}
  /// An array value.
  Value(Array elements);
  /// An array of `elements`, moved out of the span (they are left null). One allocation,
  /// where `Value(Array)` takes two (the vector's buffer and the shared block). SDK 1.2.
  static Value array_from(std::span<Value> elements);
  /// An object value; when a key repeats, the last value wins at the first key's position.
  Value(Object members);
  /// An object of `members`, in their order: `return Value::object({{"id", id}, {"ok", true}});`
  /// from a node's body. One allocation for up to 12 members with different keys, where
  /// `Value(Object{...})` takes two (the vector's buffer and the shared block) and copies
  /// every key twice; otherwise the same as `Value(Object)`, repeated keys included. SDK 1.8.
  static Value object(std::initializer_list<std::pair<std::string_view, Value>> members);

  Value(const Value& other) noexcept;
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other) noexcept;
  Value& operator=(Value&& other) noexcept;
  ~Value();

  ValueType type() const noexcept { return type_; }
  bool is_null() const noexcept { return type_ == ValueType::null; }
  bool is_bool() const noexcept { return type_ == ValueType::boolean; }
  bool is_int() const noexcept { return type_ == ValueType::integer; }
  bool is_double() const noexcept { return type_ == ValueType::number; }
  /// integer or number
  bool is_number() const noexcept { return is_int() || is_double(); }
  bool is_string() const noexcept { return type_ == ValueType::string; }
  bool is_array() const noexcept { return type_ == ValueType::array; }
  bool is_object() const noexcept { return type_ == ValueType::object; }

  /// Typed accessors; each throws `TypeError` ("expected integer, got string") on mismatch.
  bool as_bool() const;
  std::int64_t as_int() const;
  /// An integer is converted to double.
  double as_double() const;
  std::string_view as_string() const;
  std::span<const Value> as_array() const;
  std::span<const std::pair<std::string, Value>> as_object() const;

  /// Elements of an array, members of an object, bytes of a string; 0 otherwise.
  std::size_t size() const noexcept;

  /// The member named `key`, or nullptr when this is not an object or has no such member.
  const Value* find(std::string_view key) const noexcept;
  /// The member named `key`, or a null value.
  const Value& operator[](std::string_view key) const noexcept;
  const Value& operator[](const char* key) const noexcept { return (*this)[std::string_view(key)]; }
  /// Element `index` of an array, or a null value.
  const Value& operator[](std::size_t index) const noexcept;
  /// Element `index` of an array for other integer types, or a null value (also when
  /// negative). Without it `v[0]` would be ambiguous: a literal 0 converts to `const char*`.
  // clang-format off
  template <std::integral I>
    requires(!std::same_as<I, std::size_t> && !std::same_as<I, bool> &&
             !std::same_as<I, char> && !std::same_as<I, char8_t>)
  const Value& operator[](I index) const noexcept {
    if constexpr (std::is_signed_v<I>) {
      if (index < 0)
        return null_value();
    }
    return (*this)[static_cast<std::size_t>(index)];
  }
  // clang-format on

  /// The value at `path`, or nullptr when a segment is missing or the types do not fit.
  const Value* find(const Path& path) const noexcept;
  /// The value at `path` (parsed with `Path::parse`), or a null value when missing.
  Value at(std::string_view path) const;

  /// False for null, false, 0, 0.0, "", [] and {}; true otherwise.
  bool truthy() const noexcept;

  /// Compact JSON (`pretty` indents by two spaces). Doubles keep a fraction or exponent so
  /// they read back as doubles; non-finite doubles serialise as null; invalid UTF-8 in a
  /// string becomes U+FFFD. Works at any nesting depth (no recursion).
  std::string to_json(bool pretty = false) const;
  /// Text for interpolation into a string: strings as they are, null as "", others as JSON.
  std::string to_text() const;

  /// Parses one JSON document. Integers that fit int64 stay integers; larger integers,
  /// invalid UTF-8, duplicate object keys, trailing content and syntax errors throw
  /// `JsonError` with a message that says what and where. At most 1024 levels of nesting.
  static Value parse_json(std::string_view text);

  /// Deep equality; integer 1 equals number 1.0; object member order does not matter.
  friend SLUICE_SDK_API bool operator==(const Value& a, const Value& b) noexcept;

  /// A shared null value, for returning references.
  static const Value& null_value() noexcept;

private:
  // The engine's borrowed arrays and its hot paths (sdk/internal, not installed) build and
  // read Value blocks directly.
  friend class detail::BorrowedArray;
  friend struct detail::ValueAccess;
  struct Heap;
  template <std::integral T> static std::int64_t checked_int(T i) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (i > static_cast<T>(std::numeric_limits<std::int64_t>::max()))
        throw std::out_of_range("integer does not fit in int64");
    }
    return static_cast<std::int64_t>(i);
  }
  void release() noexcept;

  ValueType type_;
  union {
    std::int64_t int_;
    double double_;
    Heap* heap_;
  };
};

} // namespace sluice
