#pragma once
// Templates: pipeline strings that may hold `{{ expr }}` parts, and values (settings, outputs)
// in which any string may be one. Parsed once at load time, evaluated per run.

#include "bound_reference.hpp"
#include "expression.hpp"

#include <sluice/detail/borrowed_array.hpp>
#include <sluice/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::detail {

/// A template longer than the parser was allowed to take (Limits::template_bytes): refused
/// before any of it is parsed.
class TemplateTooLong : public TemplateSyntaxError {
public:
  TemplateTooLong(std::size_t length, std::size_t limit);
  std::size_t length() const noexcept { return length_; }
  std::size_t limit() const noexcept { return limit_; }

private:
  std::size_t length_;
  std::size_t limit_;
};

inline constexpr std::size_t no_template_limit = std::numeric_limits<std::size_t>::max();

/// A string that may contain `{{ expr }}` parts. A string that is exactly one `{{ expr }}`
/// (whitespace around it allowed) evaluates to the expression's value with its type; any
/// other mix evaluates to text, each expression converted with `Value::to_text()`.
/// `{{{{` ... is not special; there is no escape: a string without `{{` is constant.
class Template {
public:
  /// Throws TemplateSyntaxError (unclosed `{{`, empty expression, bad syntax), and
  /// TemplateTooLong when `text` holds `{{` and is longer than `max_bytes`.
  static Template parse(std::string_view text, std::size_t max_bytes = no_template_limit);
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

/// Binds a lone plain reference while its setting is parsed (the compiler does, for the common
/// `{{ node.field }}`), so that it is stored bound at once instead of as a Reference to be
/// collected, bound and compacted later: no heap block per reference.
class ReferenceBinder {
public:
  /// The bound reference, or nullopt to keep it unbound (e.g. it names nothing known, and the
  /// general path will say so). Declining must leave no trace.
  virtual std::optional<BoundReference> bind(const PlainReference& reference) = 0;
  /// Keeps a list of bound references for as long as the template that holds it (the plan).
  virtual std::span<const BoundReference> keep(std::span<const BoundReference> list) = 0;
  /// Told of a reference a little before bind() is asked for it, in long lists: a binder
  /// that looks names up in a large table may start fetching the entry now.
  virtual void prefetch(const PlainReference& /*reference*/) noexcept {}

protected:
  ~ReferenceBinder() = default;
};

/// A value in which any string may be a template: settings under `with:`, `outputs:`.
/// Constant subtrees are stored as ready Values, so evaluating them costs a copy.
class ValueTemplate {
public:
  ValueTemplate() = default;
  /// Parses every string in `value`. Throws TemplateSyntaxError (TemplateTooLong for a
  /// template longer than `max_bytes`); `where` (e.g. the key path) is not included: the
  /// caller adds context.
  /// With a `binder`, lone plain references it binds are stored bound (as compact() leaves
  /// them: collect() does not report them).
  static ValueTemplate parse(const Value& value, std::size_t max_bytes = no_template_limit,
                             ReferenceBinder* binder = nullptr);
  /// A template that always yields `value`, even when it holds `{{` (e.g. a setting default).
  static ValueTemplate from_constant(Value value);
  bool is_constant() const noexcept { return body_.index() == 0; }
  /// Whether the compiler could check the type of what this yields: a constant, or a list
  /// or map, which stays a list or map whatever its parts hold. Only a string that is a
  /// template may yield any type (`{{ x }}` keeps x's), and is checked as it runs.
  bool shape_checked() const noexcept {
    const std::size_t kind = body_.index();
    return kind == 0 || kind == 3 || kind == 5;
  }
  Value eval(const EvalScope& scope) const;
  /// Like eval(), but a compacted list of references to node outputs and inputs (the shape
  /// of most list settings) is made with detail::BorrowedArray: no reference counting per
  /// element. The caller must end it with BorrowedArray::end() while the scope's inputs and
  /// node outputs are still alive (the executor does, as soon as the node returns).
  /// Inline for the bound list, which every run of such a node takes.
  Value eval_borrowing(const EvalScope& scope) const {
    if (const auto* list = std::get_if<5>(&body_)) [[likely]]
      return lend(*list, scope);
    return eval_borrowing_composite(scope);
  }
  void collect(std::vector<Reference*>& out);
  /// Calls `visit(node, path)` for each reference to a node's output in this value, bound
  /// (compacted) or not, in expressions too.
  void visit_node_references(
      const std::function<void(std::uint32_t node, const Path& path)>& visit) const;
  /// For a constant: the value.
  const Value& constant() const noexcept { return *std::get_if<Value>(&body_); }
  /// Once its references are bound and checked: replaces each lone reference by its
  /// BoundReference, dropping the text kept for diagnostics, with its path stored in
  /// `paths`, which must outlive this template. collect() no longer reports those
  /// references afterwards.
  void compact(PathTable& paths);

private:
  struct Composite; // an array or object with template parts

  /// The located values of `references` lent as one array.
  static Value lend(std::span<const BoundReference> references, const EvalScope& scope) {
    return BorrowedArray::make(references.size(),
                               [&](std::size_t i) { return references[i].locate(scope); });
  }
  Value eval_borrowing_composite(const EvalScope& scope) const;
  // One of: a ready constant; a string that is exactly one `{{ reference }}`, evaluated
  // straight from the bound reference (the common setting `{{ node.field }}` skips the
  // Template, its part vector and the virtual Expr call); any other string template; an
  // array or object; that reference bound; a list of bound references to node
  // outputs and inputs (a node's inputs, `values: ["{{ a.x }}", "{{ b.x }}"]`), always
  // lent by eval_borrowing(), kept by the binder (the plan's
  // BoundListStore), where a Composite takes two heap blocks and a variant per element.
  // 24 bytes where the separate members took 104.
  std::variant<Value, std::shared_ptr<Reference>, std::shared_ptr<Template>,
               std::shared_ptr<Composite>, BoundReference, std::span<const BoundReference>>
      body_;
};

} // namespace sluice::detail
