// Templates: splitting a string into text and `{{ expr }}` parts, and ValueTemplate, which
// keeps constant subtrees of a setting ready and evaluates the rest per run.

#include "template.hpp"

#include <sluice/detail/borrowed_array.hpp>
#include <sluice/detail/name_chars.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>

namespace sluice::detail {

namespace {

// Arrays up to this long are evaluated, and lists of references up to this long bound, in a
// buffer on the stack.
constexpr std::size_t small_array = 8;

bool is_blank(std::string_view text) {
  for (char c : text)
    if (!is_space(c))
      return false;
  return true;
}

// The end of the `{{ ... }}` that starts at `open`: the position of its `}}`, skipping
// quoted strings so that `{{ 'a}}b' }}` closes at the second `}}`. npos when unclosed.
std::size_t find_close(std::string_view text, std::size_t open) {
  std::size_t i = open + 2;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != c)
        j += text[j] == '\\' ? 2 : 1;
      if (j >= text.size()) {
        // An unclosed quote: close at the next `}}` so the parser names the real problem.
        const std::size_t close = text.find("}}", i);
        return close;
      }
      i = j + 1;
      continue;
    }
    if (c == '}' && i + 1 < text.size() && text[i + 1] == '}')
      return i;
    ++i;
  }
  return std::string_view::npos;
}

// A string that is one `{{ reference }}` of names and dots, whitespace around allowed: the
// Reference, read without building a Template and an expression tree (several heap blocks per
// setting, the largest part of compiling a plan). nullopt sends the text to Template::parse,
// which reads every other shape and reports every error.
std::optional<PlainReference> lone_plain_reference(std::string_view text) {
  std::size_t begin = 0;
  const std::string_view trimmed = trim_space(text, begin);
  if (trimmed.size() < 4 || !trimmed.starts_with("{{") || !trimmed.ends_with("}}"))
    return std::nullopt;
  return read_plain_reference(trimmed.substr(2, trimmed.size() - 4), begin + 2);
}

// An element of a list that may be bound as one: a string that is one plain reference to a
// node's output or an input. `item` and `index` lists take the Composite path: a bound list
// is always one that eval_borrowing() can lend (node outputs and inputs only).
std::optional<PlainReference> listed_reference(const Value& element, std::size_t max_bytes) {
  if (!element.is_string() || element.as_string().size() > max_bytes)
    return std::nullopt;
  std::optional<PlainReference> read = lone_plain_reference(element.as_string());
  if (!read || !(read->root == Reference::Root::node || read->root == Reference::Root::input))
    return std::nullopt;
  return read;
}

// A list longer than small_array (a join of many nodes): each element is bound as it is read.
// One that is not a reference, or is declined, leaves the whole list to the Composite path,
// which binds the same references again; binding twice adds nothing twice. A join of
// 100,000 nodes took a Composite of 100,000 templates, each with a variant to move and
// visit, and every run copied its 100,000 values into a new list instead of lending them.
//
// Elements are read `ahead` of their binding, and the binder is told of each as it is read
// (ReferenceBinder::prefetch): in a plan of 100,000 nodes each look-up of a name is a cache
// miss, and several in flight cost little more than one.
std::optional<std::span<const BoundReference>>
bind_long_list(std::span<const Value> elements, std::size_t max_bytes, ReferenceBinder& binder) {
  constexpr std::size_t ahead = 8;
  std::array<PlainReference, ahead> window; // read, not bound yet
  std::vector<BoundReference> bound;
  bound.reserve(elements.size());
  for (std::size_t i = 0; i < elements.size() + ahead; ++i) {
    // Element i - ahead is bound before element i takes its place in the window.
    if (i >= ahead) {
      const std::optional<BoundReference> one = binder.bind(window[i % ahead]);
      if (!one)
        return std::nullopt;
      bound.push_back(*one);
    }
    if (i < elements.size()) {
      const std::optional<PlainReference> read = listed_reference(elements[i], max_bytes);
      if (!read)
        return std::nullopt;
      binder.prefetch(*read);
      window[i % ahead] = *read;
    }
  }
  return binder.keep(bound);
}

// A list of strings that are each one plain reference the binder binds: the bound list.
// Lists of other shapes and declined references take the Composite path.
std::optional<std::span<const BoundReference>>
bind_list(std::span<const Value> elements, std::size_t max_bytes, ReferenceBinder& binder) {
  if (elements.empty())
    return std::nullopt;
  if (elements.size() > small_array)
    return bind_long_list(elements, max_bytes, binder);
  // Read all before binding any, so that a list that is not all references costs no block.
  // Raw storage: both types are trivially copyable and destructible, and value-initialising
  // all small_array of each was 100 instructions a node in the compile of a 10k-node dag.
  static_assert(std::is_trivially_copyable_v<PlainReference> &&
                std::is_trivially_destructible_v<PlainReference> &&
                std::is_trivially_copyable_v<BoundReference> &&
                std::is_trivially_destructible_v<BoundReference>);
  alignas(PlainReference) std::byte plain_storage[small_array * sizeof(PlainReference)];
  auto* const plain = std::launder(reinterpret_cast<PlainReference*>(plain_storage));
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const std::optional<PlainReference> read = listed_reference(elements[i], max_bytes);
    if (!read)
      return std::nullopt;
    ::new (plain + i) PlainReference(*read);
  }
  alignas(BoundReference) std::byte bound_storage[small_array * sizeof(BoundReference)];
  auto* const bound = std::launder(reinterpret_cast<BoundReference*>(bound_storage));
  for (std::size_t i = 0; i < elements.size(); ++i) {
    std::optional<BoundReference> one = binder.bind(plain[i]);
    if (!one)
      return std::nullopt; // binding again on the Composite path adds nothing twice
    ::new (bound + i) BoundReference(*one);
  }
  return binder.keep(std::span<const BoundReference>(bound, elements.size()));
}

// An array of `count` values, the i-th made by `make(i)`. Up to small_array are made into a
// buffer on the stack, then moved into one block: a node that takes a list of references
// pays one allocation per run instead of two.
template <typename Make> Value make_array(std::size_t count, const Make& make) {
  if (count > small_array) {
    Array elements;
    elements.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
      elements.push_back(make(i));
    return Value(std::move(elements));
  }
  // Raw storage: only `count` elements are constructed (each straight from make), and
  // array_from leaves them null, so they need no destructor calls either (~Value and the
  // move assignment are calls into the SDK; an std::array cost more than it saved).
  alignas(Value) std::byte storage[small_array * sizeof(Value)];
  Value* buffer = std::launder(reinterpret_cast<Value*>(storage));
  std::size_t built = 0;
  try {
    for (; built < count; ++built)
      ::new (buffer + built) Value(make(built));
    return Value::array_from(std::span<Value>(buffer, count));
  } catch (...) {
    std::destroy_n(buffer, built);
    throw;
  }
}

bool is_borrowable(const BoundReference& bound) {
  return bound.root == Reference::Root::node || bound.root == Reference::Root::input;
}

} // namespace

// ---- Template ------------------------------------------------------------------------------

TemplateTooLong::TemplateTooLong(std::size_t length, std::size_t limit)
    : TemplateSyntaxError("the template is " + std::to_string(length) + " bytes long", limit),
      length_(length), limit_(limit) {
}

Template Template::parse(std::string_view text, std::size_t max_bytes) {
  // Checked before anything is parsed; only a long string pays for the search.
  if (text.size() > max_bytes && text.find("{{") != std::string_view::npos)
    throw TemplateTooLong(text.size(), max_bytes);
  Template result;
  // One block for the parts: n expressions make at most 2n + 1 of them.
  std::size_t opens = 0;
  for (std::size_t at = text.find("{{"); at != std::string_view::npos; at = text.find("{{", at + 2))
    ++opens;
  result.parts_.reserve(2 * opens + 1);
  std::size_t text_start = 0;
  std::size_t expression_count = 0;
  for (;;) {
    const std::size_t open = text.find("{{", text_start);
    if (open == std::string_view::npos)
      break;
    const std::size_t close = find_close(text, open);
    if (close == std::string_view::npos)
      throw TemplateSyntaxError("unclosed '{{'", open);
    const std::string_view inner = text.substr(open + 2, close - open - 2);
    if (is_blank(inner))
      throw TemplateSyntaxError("empty expression", open);
    if (open > text_start)
      result.parts_.push_back(Part{std::string(text.substr(text_start, open - text_start)), {}});
    result.parts_.push_back(Part{{}, Expr::parse_shared(inner, open + 2)});
    ++expression_count;
    text_start = close + 2;
  }
  if (text_start < text.size())
    result.parts_.push_back(Part{std::string(text.substr(text_start)), {}});

  if (expression_count == 1) {
    bool only_space_around = true;
    for (const Part& part : result.parts_)
      if (!part.expr && !is_blank(part.text))
        only_space_around = false;
    if (only_space_around) {
      // Whitespace around a lone expression is layout, not content: drop it.
      std::erase_if(result.parts_, [](const Part& part) { return !part.expr; });
      result.single_expression_ = true;
    }
  }
  return result;
}

Value Template::eval(const EvalScope& scope) const {
  if (single_expression_)
    return parts_.front().expr->eval(scope);
  std::string out;
  for (const Part& part : parts_) {
    if (part.expr)
      out += part.expr->eval(scope).to_text();
    else
      out += part.text;
  }
  return Value(std::move(out));
}

void Template::collect(std::vector<Reference*>& out) {
  for (Part& part : parts_)
    if (part.expr)
      part.expr->collect(out);
}

Reference* Template::single_reference() noexcept {
  return single_expression_ ? parts_.front().expr->as_reference() : nullptr;
}

// ---- ValueTemplate -------------------------------------------------------------------------

struct ValueTemplate::Composite {
  std::vector<ValueTemplate> elements;
  /// Member names, parallel to `elements`, for an object.
  std::vector<std::string> keys;
  bool object = false;
  /// An array of bound references to node outputs and inputs only (see eval_borrowing).
  bool borrowable = false;
};

ValueTemplate ValueTemplate::from_constant(Value value) {
  ValueTemplate result;
  result.body_ = std::move(value);
  return result;
}

ValueTemplate ValueTemplate::parse(const Value& value, std::size_t max_bytes,
                                   ReferenceBinder* binder) {
  ValueTemplate result;
  switch (value.type()) {
  case ValueType::string: {
    if (value.as_string().size() <= max_bytes)
      if (const std::optional<PlainReference> plain = lone_plain_reference(value.as_string())) {
        if (binder != nullptr)
          if (std::optional<BoundReference> bound = binder->bind(*plain)) {
            result.body_ = *bound;
            return result;
          }
        result.body_ = std::make_shared<Reference>(plain->to_reference());
        return result;
      }
    Template parsed = Template::parse(value.as_string(), max_bytes);
    if (parsed.is_constant())
      result.body_ = value;
    else if (Reference* reference = parsed.single_reference())
      result.body_ = std::make_shared<Reference>(std::move(*reference));
    else
      result.body_ = std::make_shared<Template>(std::move(parsed));
    return result;
  }
  case ValueType::array:
  case ValueType::object: {
    if (binder != nullptr && value.is_array())
      if (const std::optional<std::span<const BoundReference>> list =
              bind_list(value.as_array(), max_bytes, *binder)) {
        result.body_ = *list;
        return result;
      }
    auto composite = std::make_shared<Composite>();
    composite->object = value.is_object();
    composite->elements.reserve(value.size());
    if (composite->object)
      composite->keys.reserve(value.size());
    bool all_constant = true;
    if (composite->object) {
      for (const auto& [key, member] : value.as_object()) {
        composite->keys.push_back(key);
        composite->elements.push_back(parse(member, max_bytes, binder));
        all_constant = all_constant && composite->elements.back().is_constant();
      }
    } else {
      for (const Value& element : value.as_array()) {
        composite->elements.push_back(parse(element, max_bytes, binder));
        all_constant = all_constant && composite->elements.back().is_constant();
      }
    }
    if (all_constant)
      result.body_ = value;
    else
      result.body_ = std::move(composite);
    return result;
  }
  default:
    result.body_ = value;
    return result;
  }
}

Value ValueTemplate::eval(const EvalScope& scope) const {
  switch (body_.index()) {
  case 0:
    return *std::get_if<0>(&body_);
  case 1:
    return (*std::get_if<1>(&body_))->eval(scope);
  case 2:
    return (*std::get_if<2>(&body_))->eval(scope);
  case 4:
    return std::get_if<4>(&body_)->eval(scope);
  default:
    break;
  }
  if (const auto* list = std::get_if<5>(&body_))
    return make_array(list->size(), [&](std::size_t i) { return (*list)[i].eval(scope); });
  const Composite& composite = **std::get_if<3>(&body_);
  if (!composite.object)
    return make_array(composite.elements.size(),
                      [&](std::size_t i) { return composite.elements[i].eval(scope); });
  Object members;
  members.reserve(composite.elements.size());
  for (std::size_t i = 0; i < composite.elements.size(); ++i)
    members.emplace_back(composite.keys[i], composite.elements[i].eval(scope));
  return Value(std::move(members));
}

void ValueTemplate::compact(PathTable& paths) {
  if (auto* reference = std::get_if<1>(&body_)) {
    const Reference& r = **reference;
    body_ = BoundReference{paths.intern(r.path), r.target, r.root};
  } else if (auto* composite = std::get_if<3>(&body_)) {
    Composite& c = **composite;
    for (ValueTemplate& element : c.elements)
      element.compact(paths);
    c.borrowable = !c.object && std::all_of(c.elements.begin(), c.elements.end(),
                                            [](const ValueTemplate& element) {
                                              const auto* bound = std::get_if<4>(&element.body_);
                                              return bound != nullptr && is_borrowable(*bound);
                                            });
  }
}

// A list or map with template parts: lent when it is a short list of bound references to
// node outputs and inputs, evaluated otherwise.
Value ValueTemplate::eval_borrowing_composite(const EvalScope& scope) const {
  const auto* composite = std::get_if<3>(&body_);
  if (composite == nullptr || !(*composite)->borrowable ||
      (*composite)->elements.size() > small_array)
    return eval(scope);
  const Composite& c = **composite;
  std::array<BoundReference, small_array> references;
  for (std::size_t i = 0; i < c.elements.size(); ++i)
    references[i] = *std::get_if<4>(&c.elements[i].body_);
  return lend(std::span<const BoundReference>(references.data(), c.elements.size()), scope);
}

void ValueTemplate::collect(std::vector<Reference*>& out) {
  switch (body_.index()) {
  case 1:
    out.push_back(std::get_if<1>(&body_)->get());
    break;
  case 2:
    (*std::get_if<2>(&body_))->collect(out);
    break;
  case 3:
    for (ValueTemplate& element : (*std::get_if<3>(&body_))->elements)
      element.collect(out);
    break;
  default:
    break;
  }
}

void ValueTemplate::visit_node_references(
    const std::function<void(std::uint32_t node, const Path& path)>& visit) const {
  const auto visit_reference = [&](const Reference& reference) {
    if (reference.root == Reference::Root::node)
      visit(reference.target, reference.path);
  };
  std::vector<Reference*> references;
  switch (body_.index()) {
  case 1:
    visit_reference(**std::get_if<1>(&body_));
    break;
  case 2:
    (*std::get_if<2>(&body_))->collect(references);
    for (const Reference* reference : references)
      visit_reference(*reference);
    break;
  case 3:
    for (const ValueTemplate& element : (*std::get_if<3>(&body_))->elements)
      element.visit_node_references(visit);
    break;
  case 4:
    if (const BoundReference& bound = *std::get_if<4>(&body_); bound.root == Reference::Root::node)
      visit(bound.target, bound.path->path);
    break;
  case 5:
    for (const BoundReference& bound : *std::get_if<5>(&body_))
      if (bound.root == Reference::Root::node)
        visit(bound.target, bound.path->path);
    break;
  default:
    break;
  }
}

} // namespace sluice::detail
