#pragma once
// Expressions: what stands between `{{` and `}}` in a pipeline string, parsed once at load
// time and evaluated per run (and per for_each element); the references they make. Templates,
// the strings that hold them, are in template.hpp.
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

#include <sluice/run.hpp>
#include <sluice/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
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

/// A reference made of names and `.name` segments only, the shape of nearly every setting
/// (`n1.value`, `inputs.who`, `item.id`), as read from its template: views into that text.
struct PlainReference {
  Reference::Root root = Reference::Root::node;
  /// The input name or node id (empty for item/index).
  std::string_view name;
  /// What follows the root (and the input name), without its leading dot: `value`, `a.b`.
  /// Also its Path's canonical text (Path::to_string()).
  std::string_view path;
  /// The reference as written, and where it starts in its template.
  std::string_view text;
  std::size_t offset = 0;

  /// The Reference the expression parser makes of the same text.
  Reference to_reference() const;
};

/// Whether `name` has a meaning of its own at the start of an expression: a root (`inputs`,
/// `item`, `index`) or a literal (`true`, `false`, `null`). A node with such an id could
/// never be referenced.
bool is_reserved_word(std::string_view name) noexcept;

/// Reads `text` (what stands between the braces, white space around allowed) when it is a
/// PlainReference; `offset` is where `text` starts in its template. Returns nullopt for
/// anything else, including `true`, `false` and `null`: the expression parser reads those, and
/// reports what is wrong.
std::optional<PlainReference> read_plain_reference(std::string_view text, std::size_t offset);

/// A parsed expression.
class Expr {
public:
  /// Parses an expression (the text between braces). Throws TemplateSyntaxError.
  static std::unique_ptr<Expr> parse(std::string_view text, std::size_t base_offset = 0);
  /// The same, shared; a plain reference (most expressions) is read without the parser and
  /// made in one heap block.
  static std::shared_ptr<Expr> parse_shared(std::string_view text, std::size_t base_offset = 0);
  virtual ~Expr() = default;
  virtual Value eval(const EvalScope& scope) const = 0;
  /// Appends every reference in this expression, for binding and validation.
  virtual void collect(std::vector<Reference*>& out) = 0;
  /// The reference when this expression is nothing but one; nullptr otherwise.
  virtual Reference* as_reference() noexcept { return nullptr; }
};

} // namespace sluice::detail
