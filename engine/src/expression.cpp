// Expressions: the node types of a parsed expression, their evaluation, and the
// recursive-descent parser of the grammar in expression.hpp.

#include "expression.hpp"

#include <sluice/detail/name_chars.hpp>
#include <sluice/detail/same_key.hpp>

#include <charconv>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace sluice::detail {

namespace {

// Deeper nesting than this is not a real pipeline; refusing it keeps the recursive-descent
// parser from exhausting the stack on hostile input.
constexpr int max_nesting = 64;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The root a reference's first name makes: `inputs` (an input's name follows), `item`,
// `index`, or else a node id. Shared by the parser and read_plain_reference().
Reference::Root root_named(std::string_view name) {
  // Nearly every reference names a node: one look at the first letter says so.
  if (name.empty() || name.front() != 'i')
    return Reference::Root::node;
  if (same_key(name, "inputs"))
    return Reference::Root::input;
  if (same_key(name, "item"))
    return Reference::Root::item;
  if (same_key(name, "index"))
    return Reference::Root::index;
  return Reference::Root::node;
}

// `true`, `false` and `null`, which the expression parser reads as literals.
bool is_literal_word(std::string_view name) {
  switch (name.empty() ? '\0' : name.front()) {
  case 't':
    return same_key(name, "true");
  case 'f':
    return same_key(name, "false");
  case 'n':
    return same_key(name, "null");
  default:
    return false;
  }
}

} // namespace

bool is_reserved_word(std::string_view name) noexcept {
  return is_literal_word(name) || root_named(name) != Reference::Root::node;
}

namespace {

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

// A chain `a && b && c` (or `||`) of one operator, held flat: a long chain in a pipeline
// must not turn into recursion depth when it is parsed, evaluated or destroyed.
class LogicalExpr final : public Expr {
public:
  enum class Op { conjunction, disjunction };
  LogicalExpr(Op op, std::vector<std::unique_ptr<Expr>> operands)
      : op_(op), operands_(std::move(operands)) {}
  Value eval(const EvalScope& scope) const override {
    // Short-circuits, so `a && a.b == 1` never evaluates the right side needlessly.
    const bool decisive = op_ == Op::disjunction;
    for (const auto& operand : operands_)
      if (operand->eval(scope).truthy() == decisive)
        return decisive;
    return !decisive;
  }
  void collect(std::vector<Reference*>& out) override {
    for (const auto& operand : operands_)
      operand->collect(out);
  }

private:
  Op op_;
  std::vector<std::unique_ptr<Expr>> operands_;
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

  // A chain `operand (token operand)*` of one logical operator, as one flat node.
  std::unique_ptr<Expr> parse_logical(std::string_view token, LogicalExpr::Op op,
                                      std::unique_ptr<Expr> (ExprParser::*operand)()) {
    auto first = (this->*operand)();
    skip_space();
    if (text_.substr(pos_, token.size()) != token)
      return first;
    std::vector<std::unique_ptr<Expr>> operands;
    operands.push_back(std::move(first));
    while (consume(token)) {
      operands.push_back((this->*operand)());
      skip_space();
    }
    return std::make_unique<LogicalExpr>(op, std::move(operands));
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
    reference.root = root_named(name);
    if (reference.root == Reference::Root::input) {
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
    } else if (reference.root == Reference::Root::node) {
      reference.name = std::move(name);
    }

    parse_path(reference.path);
    reference.text = std::string(text_.substr(start, pos_ - start));
    reference.offset = base_ + start;
    return std::make_unique<ReferenceExpr>(std::move(reference));
  }

  // `.name`, `[0]` and `['key']` segments: the SDK's path syntax, read by its one parser.
  void parse_path(Path& path) {
    std::size_t length = 0;
    try {
      path = Path::parse_segments(text_.substr(pos_), length);
    } catch (const PathSyntaxError& e) {
      fail(e.expected(), pos_ + e.offset());
    }
    pos_ += length;
  }
};

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

// ---- plain references ----------------------------------------------------------------------

std::optional<PlainReference> read_plain_reference(std::string_view text, std::size_t offset) {
  std::size_t begin = 0;
  const std::string_view expression = trim_space(text, begin);
  offset += begin;
  std::size_t pos = name_end(expression, 0);
  if (pos == 0)
    return std::nullopt;
  const std::string_view root = expression.substr(0, pos);
  if (is_literal_word(root))
    return std::nullopt;
  PlainReference reference;
  reference.root = root_named(root);
  if (reference.root == Reference::Root::input) {
    if (pos == expression.size() || expression[pos] != '.')
      return std::nullopt;
    const std::size_t start = pos + 1;
    pos = name_end(expression, start);
    if (pos == start)
      return std::nullopt;
    reference.name = expression.substr(start, pos - start);
  } else if (reference.root == Reference::Root::node) {
    reference.name = root;
  }
  // `.name` segments only (the path syntax's rule for a name); brackets, quotes and anything
  // else go to the parser.
  const std::size_t path_start = pos;
  while (pos < expression.size()) {
    if (expression[pos] != '.')
      return std::nullopt;
    const std::size_t end = name_end(expression, pos + 1);
    if (end == pos + 1)
      return std::nullopt;
    pos = end;
  }
  if (path_start < expression.size())
    reference.path = expression.substr(path_start + 1);
  reference.text = expression;
  reference.offset = offset;
  return reference;
}

Reference PlainReference::to_reference() const {
  Reference reference;
  reference.root = root;
  reference.name = std::string(name);
  reference.path = Path::parse(path);
  reference.text = std::string(text);
  reference.offset = offset;
  return reference;
}

// ---- Expr ----------------------------------------------------------------------------------

std::unique_ptr<Expr> Expr::parse(std::string_view text, std::size_t base_offset) {
  return ExprParser(text, base_offset).parse_all();
}

std::shared_ptr<Expr> Expr::parse_shared(std::string_view text, std::size_t base_offset) {
  if (const std::optional<PlainReference> plain = read_plain_reference(text, base_offset))
    return std::make_shared<ReferenceExpr>(plain->to_reference());
  return parse(text, base_offset);
}

} // namespace sluice::detail
