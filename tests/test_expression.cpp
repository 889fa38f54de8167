// Templates and expressions: parsing, syntax errors with offsets, and evaluation.

#include "template.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::detail;

namespace {

// A run's view: inputs, two node results (0: hello, 1: list) and no for_each element.
struct Fixture {
  Value inputs = Value::parse_json(R"({"who": "Ada", "n": 3, "flag": false,
                                       "tags": ["x", "y"], "odd key": {"a.b": 7}})");
  std::vector<NodeResult> nodes = std::vector<NodeResult>(2);
  Fixture() {
    nodes[0].output = Value::parse_json(R"({"text": "Hello", "count": 2})");
    nodes[1].output = Value::parse_json(R"({"items": [{"id": 10}, {"id": 20}], "empty": []})");
  }
  EvalScope scope(const Value* item = nullptr, std::int64_t index = -1) const {
    return EvalScope{&inputs, nodes.data(), item, index};
  }
};

// Binds node references by name, as the compiler does: hello -> 0, list -> 1.
void bind(std::vector<Reference*> references) {
  for (Reference* reference : references)
    if (reference->root == Reference::Root::node)
      reference->target = reference->name == "hello" ? 0 : 1;
}

Value eval_template(std::string_view text, const Fixture& fixture, const Value* item = nullptr,
                    std::int64_t index = -1) {
  Template parsed = Template::parse(text);
  std::vector<Reference*> references;
  parsed.collect(references);
  bind(references);
  return parsed.eval(fixture.scope(item, index));
}

Value eval_expr(std::string_view text) {
  static const Fixture fixture;
  return eval_template("{{ " + std::string(text) + " }}", fixture);
}

// The syntax error's message and offset, or "no error".
std::string syntax_error(std::string_view text) {
  try {
    (void)Template::parse(text);
  } catch (const TemplateSyntaxError& e) {
    return std::string(e.what()) + " @" + std::to_string(e.offset());
  }
  return "no error";
}

} // namespace

TEST_CASE("a string without {{ is constant text") {
  Template t = Template::parse("plain text }} with braces {");
  CHECK(t.is_constant());
  CHECK(t.eval(EvalScope{}) == Value("plain text }} with braces {"));
  CHECK(Template::parse("").is_constant());
  CHECK(Template::parse("").eval(EvalScope{}) == Value(""));
}

TEST_CASE("a lone expression keeps the value's type") {
  Fixture f;
  CHECK(eval_template("{{ inputs.n }}", f) == Value(3));
  CHECK(eval_template("{{ inputs.n }}", f).is_int());
  CHECK(eval_template("  {{inputs.tags}}\n", f) == Value::parse_json(R"(["x","y"])"));
  CHECK(eval_template("{{ hello }}", f) == f.nodes[0].output);
  CHECK(eval_template("{{ inputs.flag }}", f) == Value(false));
  CHECK_FALSE(Template::parse("{{ inputs.n }}").is_constant());
}

TEST_CASE("text with expressions interpolates with to_text") {
  Fixture f;
  CHECK(eval_template("Hello, {{ inputs.who }}!", f) == Value("Hello, Ada!"));
  CHECK(eval_template("{{ inputs.n }} items", f) == Value("3 items"));
  CHECK(eval_template("{{ inputs.n }}{{ inputs.n }}", f) == Value("33"));
  CHECK(eval_template("tags={{ inputs.tags }}", f) == Value(R"(tags=["x","y"])"));
  CHECK(eval_template("[{{ inputs.missing }}]", f) == Value("[]"));
  CHECK(eval_template("{{ hello.text }}, {{ inputs.who }}", f) == Value("Hello, Ada"));
}

TEST_CASE("references: inputs, nodes, paths into arrays, quoted keys") {
  Fixture f;
  CHECK(eval_template("{{ hello.count }}", f) == Value(2));
  CHECK(eval_template("{{ list.items[1].id }}", f) == Value(20));
  CHECK(eval_template("{{ list.items[ 0 ].id }}", f) == Value(10));
  CHECK(eval_template("{{ inputs.tags[0] }}", f) == Value("x"));
  CHECK(eval_template("{{ inputs['odd key'][\"a.b\"] }}", f) == Value(7));
}

TEST_CASE("missing path segments evaluate to null") {
  Fixture f;
  CHECK(eval_template("{{ list.items[5].id }}", f).is_null());
  CHECK(eval_template("{{ hello.nope.deeper }}", f).is_null());
  CHECK(eval_template("{{ inputs.nope }}", f).is_null());
  CHECK(eval_template("{{ inputs.who.length }}", f).is_null());
}

TEST_CASE("item and index read the for_each element") {
  Fixture f;
  const Value item = Value::parse_json(R"({"name": "Grace", "tags": ["a"]})");
  CHECK(eval_template("{{ item.name }}", f, &item, 4) == Value("Grace"));
  CHECK(eval_template("{{ item.tags[0] }}", f, &item, 4) == Value("a"));
  CHECK(eval_template("{{ index }}", f, &item, 4) == Value(4));
  CHECK(eval_template("#{{ index }} {{ item.name }}", f, &item, 4) == Value("#4 Grace"));
  CHECK(eval_template("{{ item }}", f).is_null());
  CHECK(eval_template("{{ index }}", f).is_null());
}

TEST_CASE("literals") {
  CHECK(eval_expr("'single'") == Value("single"));
  CHECK(eval_expr("\"double\"") == Value("double"));
  CHECK(eval_expr(R"('it\'s')") == Value("it's"));
  CHECK(eval_expr("42") == Value(42));
  CHECK(eval_expr("42").is_int());
  CHECK(eval_expr("-7") == Value(-7));
  CHECK(eval_expr("2.5") == Value(2.5));
  CHECK(eval_expr("true") == Value(true));
  CHECK(eval_expr("false") == Value(false));
  CHECK(eval_expr("null").is_null());
  CHECK(eval_expr("'a}}b'") == Value("a}}b"));
}

TEST_CASE("comparison operators") {
  CHECK(eval_expr("inputs.n == 3") == Value(true));
  CHECK(eval_expr("inputs.n == 3.0") == Value(true));
  CHECK(eval_expr("inputs.n != 3") == Value(false));
  CHECK(eval_expr("inputs.who == 'Ada'") == Value(true));
  CHECK(eval_expr("inputs.tags == inputs.tags") == Value(true));
  CHECK(eval_expr("inputs.missing == null") == Value(true));
  CHECK(eval_expr("inputs.n < 4") == Value(true));
  CHECK(eval_expr("inputs.n <= 3") == Value(true));
  CHECK(eval_expr("inputs.n > 3") == Value(false));
  CHECK(eval_expr("inputs.n >= 2.5") == Value(true));
  CHECK(eval_expr("'abc' < 'abd'") == Value(true));
  CHECK(eval_expr("'b' > 'a'") == Value(true));
  // Mixed kinds do not order.
  CHECK(eval_expr("inputs.who < 5") == Value(false));
  CHECK(eval_expr("inputs.who > 5") == Value(false));
  CHECK(eval_expr("null < 1") == Value(false));
}

TEST_CASE("logical operators use truthiness and return booleans") {
  CHECK(eval_expr("!inputs.flag") == Value(true));
  CHECK(eval_expr("!!inputs.who") == Value(true));
  CHECK(eval_expr("!inputs.missing") == Value(true));
  CHECK(eval_expr("inputs.who && inputs.n") == Value(true));
  CHECK(eval_expr("inputs.who && inputs.flag") == Value(false));
  CHECK(eval_expr("inputs.flag || inputs.n") == Value(true));
  CHECK(eval_expr("inputs.flag || list.empty") == Value(false));
  CHECK(eval_expr("inputs.n > 1 && inputs.who == 'Ada'") == Value(true));
  // && binds tighter than ||; parentheses override.
  CHECK(eval_expr("true || false && false") == Value(true));
  CHECK(eval_expr("(true || false) && false") == Value(false));
  CHECK(eval_expr("!(inputs.n == 3)") == Value(false));
}

TEST_CASE("a flat chain of 300,000 operands parses, evaluates and is destroyed without recursion") {
  // Regression: chains were left-deep trees, so evaluating or destroying one recursed once per
  // operand and a long `&&` chain in a pipeline overflowed the stack.
  constexpr int terms = 300'000;
  std::string all_true = "{{ inputs.who";
  std::string any_true = "{{ inputs.flag";
  for (int i = 1; i < terms; ++i) {
    all_true += " && inputs.n";
    any_true += i + 1 == terms ? " || inputs.n" : " || inputs.flag";
  }
  all_true += " }}";
  any_true += " }}";
  const Fixture fixture;
  CHECK(eval_template(all_true, fixture) == Value(true));
  CHECK(eval_template(any_true, fixture) == Value(true));
  CHECK(eval_template(all_true.substr(0, all_true.size() - 3) + " && inputs.flag }}", fixture) ==
        Value(false));

  Template parsed = Template::parse(any_true);
  std::vector<Reference*> references;
  parsed.collect(references);
  CHECK(references.size() == static_cast<std::size_t>(terms));
}

TEST_CASE("collect lists every reference with its text and offset") {
  Template t = Template::parse("a {{ inputs.who }} b {{ hello.text == list.items[0].id }}");
  std::vector<Reference*> references;
  t.collect(references);
  REQUIRE(references.size() == 3);
  CHECK(references[0]->root == Reference::Root::input);
  CHECK(references[0]->name == "who");
  CHECK(references[0]->path.empty());
  CHECK(references[0]->text == "inputs.who");
  CHECK(references[0]->offset == 5);
  CHECK(references[1]->root == Reference::Root::node);
  CHECK(references[1]->name == "hello");
  CHECK(references[1]->path.to_string() == "text");
  CHECK(references[2]->text == "list.items[0].id");
  CHECK(references[2]->path.to_string() == "items[0].id");

  Template items = Template::parse("{{ item.x }} {{ index }}");
  references.clear();
  items.collect(references);
  REQUIRE(references.size() == 2);
  CHECK(references[0]->root == Reference::Root::item);
  CHECK(references[1]->root == Reference::Root::index);
}

// ValueTemplate reads a lone `{{ name.name }}` without building a Template; what it makes
// must be what the template makes, and whatever the template refuses must still be refused.
TEST_CASE("a lone plain reference in a setting reads as in a template") {
  for (const std::string_view text :
       {"{{ hello.text }}", "{{hello}}", "  {{ inputs.who }}\n", "{{\tlist.items.id-x }}",
        "{{ item }}", "{{ item.name }}", "{{ index }}", "{{ a-b.c_d }}", "{{ true.x }}",
        "{{ inputs.who.first }}"}) {
    CAPTURE(text);
    std::vector<Reference*> fast;
    ValueTemplate lone = ValueTemplate::parse(Value(text));
    lone.collect(fast);
    Template general = Template::parse(text);
    const Reference* expected = general.single_reference();
    REQUIRE(expected != nullptr);
    REQUIRE(fast.size() == 1);
    CHECK(fast[0]->root == expected->root);
    CHECK(fast[0]->name == expected->name);
    CHECK(fast[0]->path.to_string() == expected->path.to_string());
    CHECK(fast[0]->text == expected->text);
    CHECK(fast[0]->offset == expected->offset);
  }
  for (const std::string_view text : {"{{ hello. }}", "{{ inputs }}", "{{ inputs. }}", "{{ a..b }}",
                                      "{{ hello.0 }}", "{{{ a }}", "{{ .a }}"}) {
    CAPTURE(text);
    CHECK_THROWS_AS(ValueTemplate::parse(Value(text)), TemplateSyntaxError);
    CHECK_THROWS_AS(Template::parse(text), TemplateSyntaxError);
  }
  // Shaped like one reference at both ends, but templates with text.
  for (const std::string_view text : {"{{ a }}{{ b }}", "{{ a }}}", "{{ a }} {{ b }}"}) {
    CAPTURE(text);
    std::vector<Reference*> as_setting;
    ValueTemplate setting = ValueTemplate::parse(Value(text));
    setting.collect(as_setting);
    std::vector<Reference*> as_template;
    Template general = Template::parse(text);
    general.collect(as_template);
    REQUIRE(as_setting.size() == as_template.size());
    for (std::size_t i = 0; i < as_setting.size(); ++i)
      CHECK(as_setting[i]->text == as_template[i]->text);
    CHECK(general.single_reference() == nullptr);
  }
  // Literals are not references, whatever they look like.
  CHECK(ValueTemplate::parse(Value("{{ true }}")).eval(EvalScope{}) == Value(true));
  CHECK(ValueTemplate::parse(Value("{{ null }}")).eval(EvalScope{}).is_null());
}

TEST_CASE("Expr::parse_shared reads plain references as the parser does") {
  for (const std::string_view text : {" hello.text ", "inputs.who", "item", "index.x", "a-b.c_d",
                                      "true", "null", "a == b", "a.b[0]", "inputs['x']"}) {
    CAPTURE(text);
    const std::unique_ptr<Expr> parsed = Expr::parse(text, 2);
    const std::shared_ptr<Expr> shared = Expr::parse_shared(text, 2);
    const Reference* expected = parsed->as_reference();
    const Reference* got = shared->as_reference();
    REQUIRE((expected == nullptr) == (got == nullptr));
    if (expected == nullptr)
      continue;
    CHECK(got->root == expected->root);
    CHECK(got->name == expected->name);
    CHECK(got->path.to_string() == expected->path.to_string());
    CHECK(got->text == expected->text);
    CHECK(got->offset == expected->offset);
  }
  for (const std::string_view text : {"a.", "inputs", "inputs.", "a..b", ".a", "a.0"}) {
    CAPTURE(text);
    CHECK_THROWS_AS((void)Expr::parse_shared(text), TemplateSyntaxError);
  }
}

TEST_CASE("syntax errors say what and where") {
  CHECK(syntax_error("Hello {{ inputs.who") == "unclosed '{{' @6");
  CHECK(syntax_error("{{ }}") == "empty expression @0");
  CHECK(syntax_error("x {{}}") == "empty expression @2");
  CHECK(syntax_error("{{ hello. }}") == "expected a name after '.' @9");
  CHECK(syntax_error("{{ hello.text) }}") == "unexpected ')' @13");
  CHECK(syntax_error("{{ (a == b }}") == "unclosed '(' @3");
  CHECK(syntax_error("{{ a = b }}") == "'=' is not an operator; use '==' to compare @5");
  CHECK(syntax_error("{{ a & b }}") == "'&' is not an operator; use '&&' @5");
  CHECK(syntax_error("{{ a b }}") == "unexpected 'b' @5");
  CHECK(syntax_error("{{ a == }}") == "unexpected end of expression @8");
  CHECK(syntax_error("{{ 'open }}") == "unclosed string @3");
  CHECK(syntax_error("{{ inputs }}") == "expected '.' and an input name after 'inputs' @9");
  CHECK(syntax_error("{{ inputs. }}") == "expected an input name after 'inputs.' @10");
  CHECK(syntax_error("{{ a[x] }}") == "expected an index or a quoted key after '[' @5");
  CHECK(syntax_error("{{ a[0 }}") == "expected ']' @7");
  CHECK(syntax_error("{{ 99999999999999999999 }}") ==
        "integer 99999999999999999999 does not fit in 64 bits @3");
  CHECK(syntax_error("ok {{ a }} then {{ # }}") == "unexpected '#' @19");
  const std::string deep = "{{ " + std::string(100, '(') + "a" + std::string(100, ')') + " }}";
  CHECK(syntax_error(deep).starts_with("expression nested too deeply"));
}

TEST_CASE("ValueTemplate keeps constant subtrees and evaluates the rest") {
  Fixture f;
  const Value settings = Value::parse_json(
      R"({"plain": 1, "greeting": "Hi {{ inputs.who }}", "list": ["a", "{{ inputs.n }}"],
          "nested": {"k": "{{ hello.count }}", "c": [true]}})");
  ValueTemplate t = ValueTemplate::parse(settings);
  CHECK_FALSE(t.is_constant());
  std::vector<Reference*> references;
  t.collect(references);
  CHECK(references.size() == 3);
  bind(references);
  CHECK(t.eval(f.scope()) ==
        Value::parse_json(R"({"plain": 1, "greeting": "Hi Ada", "list": ["a", 3],
                              "nested": {"k": 2, "c": [true]}})"));

  ValueTemplate constant = ValueTemplate::parse(Value::parse_json(R"({"a": ["b", 1]})"));
  CHECK(constant.is_constant());
  CHECK(constant.constant() == Value::parse_json(R"({"a": ["b", 1]})"));
  CHECK(ValueTemplate::parse(Value(5)).constant() == Value(5));
  CHECK(ValueTemplate::from_constant(Value("{{ x }}")).constant() == Value("{{ x }}"));
  CHECK_THROWS_AS(ValueTemplate::parse(Value::parse_json(R"(["{{ a"])")), TemplateSyntaxError);
}
