#pragma once
// Templates and expressions: `{{ ... }}` inside pipeline strings, parsed once at load time and
// evaluated per run (and per for_each element).
//
// Grammar of what stands between `{{` and `}}`:
//   expr      := or
//   or        := and ('||' and)*
//   and       := compare ('&&' compare)*
//   compare   := unary (('==' | '!=' | '<' | '<=' | '>' | '>=') unary)?
//   unary     := '!' unary | primary
//   primary   := literal | reference | '(' expr ')'
//   literal   := 'text' | "text" | integer | decimal | true | false | null
//   reference := name ('.' name | '[' integer ']' | '[' quoted ']')*
//   name      := [A-Za-z_][A-Za-z0-9_-]*
// A reference's root is `inputs` (then the input's name), `item`, `index`, or a node id.

#include <sluice/diagnostic.hpp>
#include <sluice/run.hpp>
#include <sluice/value.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace sluice::detail {

/// A syntax error in a template; `offset` is the byte offset within the template text.
class TemplateSyntaxError : public std::runtime_error {
public:
  TemplateSyntaxError(const std::string& message, std::size_t offset)
      : std::runtime_error(message), offset_(offset) {}
  std::size_t offset() const noexcept { return offset_; }

private:
  std::size_t offset_;
};

/// What a run makes visible to expressions.
struct EvalScope {
  const Value* inputs = nullptr;     ///< object of input values
  const NodeResult* nodes = nullptr; ///< per node index; `.output` is read
  const Value* item = nullptr;       ///< for_each element, or nullptr
  std::int64_t index = -1;           ///< for_each index
};

/// One `{{ ... }}` reference, e.g. `hello.text` or `inputs.who`.
struct Reference {
  enum class Root { input, node, item, index };
  Root root = Root::node;
  /// The input name or node id (empty for item/index).
  std::string name;
  /// Node index or input index, filled in by binding (compile).
  std::uint32_t target = 0;
  /// What follows the root (and the input name): `text`, `[0].id`...
  Path path;
  /// The reference as written, for messages.
  std::string text;
  /// Byte offset of the reference within its template string.
  std::size_t offset = 0;

  Value eval(const EvalScope& scope) const;
};

/// Paths of a plan's bound references, each distinct path stored once: most references in
/// a plan read the same few fields (`.value`, `.text`), and a Path is a vector of strings.
/// Pointers it hands out stay valid for its lifetime.
class PathTable {
public:
  /// A path as stored: with its single member name picked out when it is just one, the
  /// common `{{ node.field }}`, which then costs one member lookup.
  struct Entry {
    Path path;
    /// Set when `path` is exactly one member name.
    std::optional<std::string> single_key;
  };
  const Entry* intern(const Path& path);

private:
  std::deque<Entry> paths_;
  std::unordered_map<std::string, const Entry*> index_;
};

/// A reference reduced to what evaluation needs, once compile has bound and checked it: the
/// name, text and offset of a Reference only serve diagnostics. 16 bytes, held inline by a
/// ValueTemplate (a Reference with its three strings takes 128, plus its path).
struct BoundReference {
  /// What follows the root (and the input name); owned by the plan's PathTable.
  const PathTable::Entry* path = nullptr;
  /// Node index, or input index (the position in the resolved inputs object).
  std::uint32_t target = 0;
  Reference::Root root = Reference::Root::node;

  Value eval(const EvalScope& scope) const;
  /// Where the referenced value lives in `scope`, or nullptr when it is missing (and always
  /// for the `index` root, whose value is made rather than found).
  const Value* locate(const EvalScope& scope) const noexcept;
};

/// A parsed expression.
class Expr {
public:
  /// Parses an expression (the text between braces). Throws TemplateSyntaxError.
  static std::unique_ptr<Expr> parse(std::string_view text, std::size_t base_offset = 0);
  virtual ~Expr() = default;
  virtual Value eval(const EvalScope& scope) const = 0;
  /// Appends every reference in this expression, for binding and validation.
  virtual void collect(std::vector<Reference*>& out) = 0;
  /// The reference when this expression is nothing but one; nullptr otherwise.
  virtual Reference* as_reference() noexcept { return nullptr; }
};

/// A string that may contain `{{ expr }}` parts. A string that is exactly one `{{ expr }}`
/// (whitespace around it allowed) evaluates to the expression's value with its type; any
/// other mix evaluates to text, each expression converted with `Value::to_text()`.
/// `{{{{` ... is not special; there is no escape: a string without `{{` is constant.
class Template {
public:
  /// Throws TemplateSyntaxError (unclosed `{{`, empty expression, bad syntax).
  static Template parse(std::string_view text);
  bool is_constant() const noexcept {
    return parts_.empty() || (parts_.size() == 1 && !parts_[0].expr);
  }
  Value eval(const EvalScope& scope) const;
  void collect(std::vector<Reference*>& out);
  /// The reference when the template is exactly one `{{ reference }}`; nullptr otherwise.
  Reference* single_reference() noexcept;

private:
  struct Part {
    std::string text;
    std::shared_ptr<Expr> expr; // null for a text part
  };
  std::vector<Part> parts_;
  bool single_expression_ = false;
};

/// A value in which any string may be a template: settings under `with:`, `outputs:`.
/// Constant subtrees are stored as ready Values, so evaluating them costs a copy.
class ValueTemplate {
public:
  ValueTemplate() = default;
  /// Parses every string in `value`. Throws TemplateSyntaxError; `where` (e.g. the key path)
  /// is not included: the caller adds context.
  static ValueTemplate parse(const Value& value);
  /// A template that always yields `value`, even when it holds `{{` (e.g. a setting default).
  static ValueTemplate from_constant(Value value);
  bool is_constant() const noexcept { return body_.index() == 0; }
  Value eval(const EvalScope& scope) const;
  /// Like eval(), but a compacted list of references to node outputs and inputs (the shape
  /// of most list settings) is made with detail::BorrowedArray: no reference counting per
  /// element. The caller must end it with BorrowedArray::end() while the scope's inputs and
  /// node outputs are still alive (the executor does, as soon as the node returns).
  Value eval_borrowing(const EvalScope& scope) const;
  void collect(std::vector<Reference*>& out);
  /// For a constant: the value.
  const Value& constant() const noexcept { return *std::get_if<Value>(&body_); }
  /// Once its references are bound and checked: replaces each lone reference by its
  /// BoundReference, dropping the text kept for diagnostics, with its path stored in
  /// `paths`, which must outlive this template. collect() no longer reports those
  /// references afterwards.
  void compact(PathTable& paths);

private:
  struct Composite; // an array or object with template parts
  // One of: a ready constant; a string that is exactly one `{{ reference }}`, evaluated
  // straight from the bound reference (the common setting `{{ node.field }}` skips the
  // Template, its part vector and the virtual Expr call); any other string template; an
  // array or object. 24 bytes where the four separate members took 88.
  std::variant<Value, std::shared_ptr<Reference>, std::shared_ptr<Template>,
               std::shared_ptr<Composite>, BoundReference>
      body_;
};

} // namespace sluice::detail
