#include "expression.hpp"

#include <sluice/detail/borrowed_array.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <system_error>

namespace sluice::detail {

namespace {

// Deeper nesting than this is not a real pipeline; refusing it keeps the recursive-descent
// parser from exhausting the stack on hostile input.
constexpr int max_nesting = 64;

// Arrays up to this long are evaluated into a buffer on the stack.
constexpr std::size_t small_array = 8;

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_blank(std::string_view text) {
  for (char c : text)
    if (!is_space(c))
      return false;
  return true;
}

// ---- expression nodes ----------------------------------------------------------------------

class LiteralExpr final : public Expr {
public:
  explicit LiteralExpr(Value value) : value_(std::move(value)) {}
  Value eval(const EvalScope&) const override { return value_; }
  void collect(std::vector<Reference*>&) override {}

private:
  Value value_;
};

class ReferenceExpr final : public Expr {
public:
  explicit ReferenceExpr(Reference reference) : reference_(std::move(reference)) {}
  Value eval(const EvalScope& scope) const override { return reference_.eval(scope); }
  void collect(std::vector<Reference*>& out) override { out.push_back(&reference_); }
  Reference* as_reference() noexcept override { return &reference_; }

private:
  Reference reference_;
};

class NotExpr final : public Expr {
public:
  explicit NotExpr(std::unique_ptr<Expr> operand) : operand_(std::move(operand)) {}
  Value eval(const EvalScope& scope) const override { return !operand_->eval(scope).truthy(); }
  void collect(std::vector<Reference*>& out) override { operand_->collect(out); }

private:
  std::unique_ptr<Expr> operand_;
};

class LogicalExpr final : public Expr {
public:
  enum class Op { conjunction, disjunction };
  LogicalExpr(Op op, std::unique_ptr<Expr> lhs, std::unique_ptr<Expr> rhs)
      : op_(op), lhs_(std::move(lhs)), rhs_(std::move(rhs)) {}
  Value eval(const EvalScope& scope) const override {
    // Short-circuits, so `a && a.b == 1` never evaluates the right side needlessly.
    const bool left = lhs_->eval(scope).truthy();
    if (op_ == Op::conjunction)
      return left && rhs_->eval(scope).truthy();
    return left || rhs_->eval(scope).truthy();
  }
  void collect(std::vector<Reference*>& out) override {
    lhs_->collect(out);
    rhs_->collect(out);
  }

private:
  Op op_;
  std::unique_ptr<Expr> lhs_;
  std::unique_ptr<Expr> rhs_;
};

enum class CompareOp { equal, not_equal, less, less_equal, greater, greater_equal };

// Orders two numbers or two strings: <0, 0, >0; nullopt when they are not comparable.
std::optional<int> order(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    const std::int64_t x = a.as_int();
    const std::int64_t y = b.as_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_number() && b.is_number()) {
    const double x = a.as_double();
    const double y = b.as_double();
    if (x < y)
      return -1;
    if (x > y)
      return 1;
    if (x == y)
      return 0;
    return std::nullopt; // NaN
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.as_string().compare(b.as_string());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

class CompareExpr final : public Expr {
public:
  CompareExpr(CompareOp op, std::unique_ptr<Expr> lhs, std::unique_ptr<Expr> rhs)
      : op_(op), lhs_(std::move(lhs)), rhs_(std::move(rhs)) {}
  Value eval(const EvalScope& scope) const override {
    const Value a = lhs_->eval(scope);
    const Value b = rhs_->eval(scope);
    switch (op_) {
    case CompareOp::equal:
      return a == b;
    case CompareOp::not_equal:
      return !(a == b);
    default:
      break;
    }
    const std::optional<int> ordering = order(a, b);
    if (!ordering)
      return false;
    switch (op_) {
    case CompareOp::less:
      return *ordering < 0;
    case CompareOp::less_equal:
      return *ordering <= 0;
    case CompareOp::greater:
      return *ordering > 0;
    default:
      return *ordering >= 0;
    }
  }
  void collect(std::vector<Reference*>& out) override {
    lhs_->collect(out);
    rhs_->collect(out);
  }

private:
  CompareOp op_;
  std::unique_ptr<Expr> lhs_;
  std::unique_ptr<Expr> rhs_;
};

// ---- parser --------------------------------------------------------------------------------

class ExprParser {
public:
  ExprParser(std::string_view text, std::size_t base_offset) : text_(text), base_(base_offset) {}

  std::unique_ptr<Expr> parse_all() {
    skip_space();
    if (at_end())
      fail("empty expression", 0);
    auto expr = parse_or();
    skip_space();
    if (!at_end())
      fail_unexpected();
    return expr;
  }

private:
  std::string_view text_;
  std::size_t base_;
  std::size_t pos_ = 0;
  int depth_ = 0;

  [[noreturn]] void fail(const std::string& message, std::size_t at) const {
    throw TemplateSyntaxError(message, base_ + at);
  }

  [[noreturn]] void fail_unexpected() const {
    if (at_end())
      fail("unexpected end of expression", pos_);
    const char c = text_[pos_];
    if (c == '=')
      fail("'=' is not an operator; use '==' to compare", pos_);
    if (c == '&')
      fail("'&' is not an operator; use '&&'", pos_);
    if (c == '|')
      fail("'|' is not an operator; use '||'", pos_);
    if (is_name_start(c)) {
      std::size_t end = pos_;
      while (end < text_.size() && is_name_char(text_[end]))
        ++end;
      fail("unexpected '" + std::string(text_.substr(pos_, end - pos_)) + "'", pos_);
    }
    fail(std::string("unexpected '") + c + "'", pos_);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void skip_space() {
    while (!at_end() && is_space(text_[pos_]))
      ++pos_;
  }
  bool consume(std::string_view token) {
    if (text_.substr(pos_, token.size()) != token)
      return false;
    pos_ += token.size();
    return true;
  }

  struct DepthGuard {
    ExprParser& parser;
    explicit DepthGuard(ExprParser& p) : parser(p) {
      if (++parser.depth_ > max_nesting)
        parser.fail("expression nested too deeply", parser.pos_);
    }
    ~DepthGuard() { --parser.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
  };

  std::unique_ptr<Expr> parse_or() {
    return parse_logical("||", LogicalExpr::Op::disjunction, &ExprParser::parse_and);
  }

  std::unique_ptr<Expr> parse_and() {
    return parse_logical("&&", LogicalExpr::Op::conjunction, &ExprParser::parse_compare);
  }

  // A left-associative chain `operand (token operand)*` of one logical operator.
  std::unique_ptr<Expr> parse_logical(std::string_view token, LogicalExpr::Op op,
                                      std::unique_ptr<Expr> (ExprParser::*operand)()) {
    auto lhs = (this->*operand)();
    for (;;) {
      skip_space();
      if (!consume(token))
        return lhs;
      auto rhs = (this->*operand)();
      lhs = std::make_unique<LogicalExpr>(op, std::move(lhs), std::move(rhs));
    }
  }

  std::unique_ptr<Expr> parse_compare() {
    auto lhs = parse_unary();
    skip_space();
    CompareOp op;
    if (consume("=="))
      op = CompareOp::equal;
    else if (consume("!="))
      op = CompareOp::not_equal;
    else if (consume("<="))
      op = CompareOp::less_equal;
    else if (consume(">="))
      op = CompareOp::greater_equal;
    else if (consume("<"))
      op = CompareOp::less;
    else if (consume(">"))
      op = CompareOp::greater;
    else
      return lhs;
    auto rhs = parse_unary();
    return std::make_unique<CompareExpr>(op, std::move(lhs), std::move(rhs));
  }

  std::unique_ptr<Expr> parse_unary() {
    DepthGuard guard(*this);
    skip_space();
    if (peek() == '!' && peek(1) != '=') {
      ++pos_;
      return std::make_unique<NotExpr>(parse_unary());
    }
    return parse_primary();
  }

  std::unique_ptr<Expr> parse_primary() {
    skip_space();
    if (at_end())
      fail("unexpected end of expression", pos_);
    const char c = peek();
    if (c == '(') {
      const std::size_t open = pos_;
      ++pos_;
      auto inner = parse_or();
      skip_space();
      if (at_end())
        fail("unclosed '('", open);
      if (peek() != ')')
        fail_unexpected();
      ++pos_;
      return inner;
    }
    if (c == '\'' || c == '"')
      return std::make_unique<LiteralExpr>(Value(parse_quoted()));
    if (is_digit(c) || (c == '-' && is_digit(peek(1))))
      return std::make_unique<LiteralExpr>(parse_number());
    if (is_name_start(c))
      return parse_name_or_keyword();
    fail_unexpected();
  }

  // A quoted string at pos_; backslash escapes the quote, backslash, n and t.
  std::string parse_quoted() {
    const std::size_t start = pos_;
    const char quote = text_[pos_++];
    std::string out;
    while (!at_end()) {
      const char c = text_[pos_++];
      if (c == quote)
        return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end())
        break;
      const char escaped = text_[pos_++];
      switch (escaped) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '\\':
      case '\'':
      case '"':
        out += escaped;
        break;
      default:
        fail(std::string("unknown escape '\\") + escaped + "' in string", pos_ - 2);
      }
    }
    fail("unclosed string", start);
  }

  Value parse_number() {
    const std::size_t start = pos_;
    if (peek() == '-')
      ++pos_;
    while (is_digit(peek()))
      ++pos_;
    bool is_decimal = false;
    if (peek() == '.' && is_digit(peek(1))) {
      is_decimal = true;
      ++pos_;
      while (is_digit(peek()))
        ++pos_;
    }
    if (is_name_start(peek()))
      fail("expected an operator after the number", pos_);
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (is_decimal) {
      double d = 0;
      std::from_chars(first, last, d);
      return Value(d);
    }
    std::int64_t i = 0;
    const auto result = std::from_chars(first, last, i);
    if (result.ec == std::errc::result_out_of_range)
      fail("integer " + std::string(first, last) + " does not fit in 64 bits", start);
    return Value(i);
  }

  std::string read_name() {
    const std::size_t start = pos_;
    if (!is_name_start(peek()))
      return {};
    while (!at_end() && is_name_char(text_[pos_]))
      ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  std::unique_ptr<Expr> parse_name_or_keyword() {
    const std::size_t start = pos_;
    std::string name = read_name();
    const bool continues = peek() == '.' || peek() == '[';
    if (!continues) {
      if (name == "true")
        return std::make_unique<LiteralExpr>(Value(true));
      if (name == "false")
        return std::make_unique<LiteralExpr>(Value(false));
      if (name == "null")
        return std::make_unique<LiteralExpr>(Value());
    }

    Reference reference;
    if (name == "inputs") {
      reference.root = Reference::Root::input;
      if (peek() == '.') {
        ++pos_;
        reference.name = read_name();
        if (reference.name.empty())
          fail("expected an input name after 'inputs.'", pos_);
      } else if (peek() == '[') {
        ++pos_;
        if (peek() != '\'' && peek() != '"')
          fail("expected a quoted input name after 'inputs['", pos_);
        reference.name = parse_quoted();
        if (peek() != ']')
          fail("expected ']'", pos_);
        ++pos_;
      } else {
        fail("expected '.' and an input name after 'inputs'", pos_);
      }
    } else if (name == "item") {
      reference.root = Reference::Root::item;
    } else if (name == "index") {
      reference.root = Reference::Root::index;
    } else {
      reference.root = Reference::Root::node;
      reference.name = std::move(name);
    }

    parse_path(reference.path);
    reference.text = std::string(text_.substr(start, pos_ - start));
    reference.offset = base_ + start;
    return std::make_unique<ReferenceExpr>(std::move(reference));
  }

  // `.name`, `[0]` and `['key']` segments, written without spaces.
  void parse_path(Path& path) {
    for (;;) {
      if (peek() == '.') {
        ++pos_;
        std::string segment = read_name();
        if (segment.empty())
          fail("expected a name after '.'", pos_);
        path.push_back(std::move(segment));
      } else if (peek() == '[') {
        ++pos_;
        skip_space();
        if (is_digit(peek())) {
          const std::size_t start = pos_;
          while (is_digit(peek()))
            ++pos_;
          std::size_t index = 0;
          const auto result = std::from_chars(text_.data() + start, text_.data() + pos_, index);
          if (result.ec != std::errc())
            fail("index too large", start);
          path.push_back(index);
        } else if (peek() == '\'' || peek() == '"') {
          path.push_back(parse_quoted());
        } else {
          fail("expected an index or a quoted key after '['", pos_);
        }
        skip_space();
        if (peek() != ']')
          fail("expected ']'", pos_);
        ++pos_;
      } else {
        return;
      }
    }
  }
};

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

} // namespace

// ---- Reference -----------------------------------------------------------------------------

Value Reference::eval(const EvalScope& scope) const {
  const Value* base = nullptr;
  Value index_value;
  switch (root) {
  case Root::input:
    base = scope.inputs != nullptr ? scope.inputs->find(name) : nullptr;
    break;
  case Root::node:
    base = scope.nodes != nullptr ? &scope.nodes[target].output : nullptr;
    break;
  case Root::item:
    base = scope.item;
    break;
  case Root::index:
    if (scope.index >= 0) {
      index_value = Value(scope.index);
      base = &index_value;
    }
    break;
  }
  if (base == nullptr)
    return Value();
  if (path.empty())
    return *base;
  const Value* found = base->find(path);
  return found != nullptr ? *found : Value();
}

const Value* BoundReference::locate(const EvalScope& scope) const noexcept {
  const Value* base = nullptr;
  switch (root) {
  case Reference::Root::input:
    // The resolved inputs object holds every declared input, in declaration order.
    if (scope.inputs != nullptr && scope.inputs->is_object()) {
      const auto members = scope.inputs->as_object();
      if (target < members.size())
        base = &members[target].second;
    }
    break;
  case Reference::Root::node:
    base = scope.nodes != nullptr ? &scope.nodes[target].output : nullptr;
    break;
  case Reference::Root::item:
    base = scope.item;
    break;
  case Reference::Root::index:
    return nullptr; // made, not found: see eval()
  }
  if (base == nullptr)
    return nullptr;
  return path->single_key ? base->find(std::string_view(*path->single_key))
                          : base->find(path->path);
}

Value BoundReference::eval(const EvalScope& scope) const {
  if (root == Reference::Root::index)
    // An integer has no members: `{{ index.x }}` is null, like any missing path.
    return scope.index >= 0 && path->path.empty() ? Value(scope.index) : Value();
  const Value* found = locate(scope);
  return found != nullptr ? *found : Value();
}

const PathTable::Entry* PathTable::intern(const Path& path) {
  auto [it, inserted] = index_.try_emplace(path.to_string(), nullptr);
  if (inserted) {
    Entry& entry = paths_.emplace_back(Entry{path, std::nullopt});
    const auto segments = path.segments();
    if (segments.size() == 1)
      if (const auto* key = std::get_if<std::string>(&segments.front()))
        entry.single_key = *key;
    it->second = &entry;
  }
  return it->second;
}

// ---- Expr ----------------------------------------------------------------------------------

std::unique_ptr<Expr> Expr::parse(std::string_view text, std::size_t base_offset) {
  return ExprParser(text, base_offset).parse_all();
}

// ---- Template ------------------------------------------------------------------------------

Template Template::parse(std::string_view text) {
  Template result;
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
    result.parts_.push_back(Part{{}, Expr::parse(inner, open + 2)});
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

ValueTemplate ValueTemplate::parse(const Value& value) {
  ValueTemplate result;
  switch (value.type()) {
  case ValueType::string: {
    Template parsed = Template::parse(value.as_string());
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
    auto composite = std::make_shared<Composite>();
    composite->object = value.is_object();
    composite->elements.reserve(value.size());
    if (composite->object)
      composite->keys.reserve(value.size());
    bool all_constant = true;
    if (composite->object) {
      for (const auto& [key, member] : value.as_object()) {
        composite->keys.push_back(key);
        composite->elements.push_back(parse(member));
        all_constant = all_constant && composite->elements.back().is_constant();
      }
    } else {
      for (const Value& element : value.as_array()) {
        composite->elements.push_back(parse(element));
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
  const Composite& composite = **std::get_if<3>(&body_);
  if (!composite.object) {
    // The elements are evaluated into a buffer on the stack, then moved into one block:
    // a node that takes a list of references (`values: ["{{ a.x }}", "{{ b.x }}"]`) pays
    // one allocation per run instead of two.
    const std::size_t count = composite.elements.size();
    if (count <= small_array) {
      // Raw storage: only `count` elements are constructed (each straight from eval), and
      // array_from leaves them null, so they need no destructor calls either (~Value and
      // the move assignment are calls into the SDK; an std::array cost more than it saved).
      alignas(Value) std::byte storage[small_array * sizeof(Value)];
      Value* buffer = std::launder(reinterpret_cast<Value*>(storage));
      std::size_t built = 0;
      try {
        for (; built < count; ++built)
          ::new (buffer + built) Value(composite.elements[built].eval(scope));
        return Value::array_from(std::span<Value>(buffer, count));
      } catch (...) {
        std::destroy_n(buffer, built);
        throw;
      }
    }
    Array elements;
    elements.reserve(count);
    for (const ValueTemplate& element : composite.elements)
      elements.push_back(element.eval(scope));
    return Value(std::move(elements));
  }
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
    c.borrowable =
        !c.object &&
        std::all_of(c.elements.begin(), c.elements.end(), [](const ValueTemplate& element) {
          const auto* bound = std::get_if<4>(&element.body_);
          return bound != nullptr &&
                 (bound->root == Reference::Root::node || bound->root == Reference::Root::input);
        });
  }
}

Value ValueTemplate::eval_borrowing(const EvalScope& scope) const {
  const auto* composite = std::get_if<3>(&body_);
  if (composite == nullptr || !(*composite)->borrowable ||
      (*composite)->elements.size() > small_array)
    return eval(scope);
  const Composite& c = **composite;
  std::array<const Value*, small_array> found;
  for (std::size_t i = 0; i < c.elements.size(); ++i)
    found[i] = std::get_if<4>(&c.elements[i].body_)->locate(scope);
  return detail::BorrowedArray::make(
      std::span<const Value* const>(found.data(), c.elements.size()));
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

} // namespace sluice::detail
