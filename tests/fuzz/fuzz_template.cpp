// Fuzz target: templates and expressions (engine/src/template.cpp, expression.cpp), parsed
// and evaluated as a run does. Any text either throws TemplateSyntaxError at an offset inside
// the text, or parses; a parsed template evaluates against inputs, node outputs, a for_each
// item and index of every value type, and gives the same value once its references are
// bound and compacted as the compiler leaves them.

#include "bound_reference.hpp"
#include "template.hpp"

#include <sluice/detail/borrowed_array.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using sluice::Value;
using namespace sluice::detail;

// The loader's default limit on one template (Limits::template_bytes).
constexpr std::size_t template_limit = std::size_t{64} << 10;

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_template: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// What a run makes visible: inputs and node outputs of every value type, including the
// numbers where integer and double comparisons meet.
struct Run {
  Value inputs = Value::parse_json(
      R"({"who": "Ada", "n": 3, "big": 9223372036854775807, "x": 2.5, "flag": false,
          "none": null, "tags": ["x", "y", 1], "odd key": {"a.b": 7, "": [[]]}})");
  std::vector<sluice::NodeResult> nodes = std::vector<sluice::NodeResult>(4);
  Value item = Value::parse_json(R"({"id": 10, "name": "first", "list": [1.5, "2", null]})");

  Run() {
    nodes[0].output = Value::parse_json(R"({"text": "Hello", "count": 2, "ok": true})");
    nodes[1].output = Value::parse_json(R"({"items": [{"id": 10}, {"id": -1}], "empty": []})");
    nodes[2].output = Value::parse_json(R"(["a", -9223372036854775808, 1e300, {}])");
    // nodes[3] has no output (a skipped node reads as null).
  }
  EvalScope scope(bool in_for_each) const {
    return in_for_each ? EvalScope{&inputs, nodes.data(), &item, 7}
                       : EvalScope{&inputs, nodes.data(), nullptr, -1};
  }
};

const Run& run() {
  static const Run instance;
  return instance;
}

// Binds references as the compiler does: a node id to a node index (any id names one of the
// fixture's nodes), an input to its position in the inputs object. False when an input is
// not there: the compiler refuses such a reference, so it is never compacted.
bool bind_references(const std::vector<Reference*>& references) {
  bool all_bound = true;
  for (Reference* reference : references) {
    if (reference->root == Reference::Root::node) {
      std::uint32_t hash = 0;
      for (const char c : reference->name)
        hash = hash * 31 + static_cast<unsigned char>(c);
      reference->target = hash % run().nodes.size();
    } else if (reference->root == Reference::Root::input) {
      const auto members = run().inputs.as_object();
      std::optional<std::uint32_t> position;
      for (std::size_t i = 0; i < members.size(); ++i)
        if (members[i].first == reference->name)
          position = static_cast<std::uint32_t>(i);
      all_bound = all_bound && position.has_value();
      reference->target = position.value_or(0);
    }
  }
  return all_bound;
}

void check_value_template(const Value& shape, bool compact_too) {
  ValueTemplate parsed = ValueTemplate::parse(shape, template_limit);
  std::vector<Reference*> references;
  parsed.collect(references);
  const bool bound = bind_references(references);
  const Value plain = parsed.eval(run().scope(true));
  if (!compact_too || !bound)
    return;
  PathTable paths;
  parsed.compact(paths);
  const Value compacted = parsed.eval(run().scope(true));
  if (!(compacted == plain))
    broken("a compacted template evaluates differently",
           plain.to_json() + "\n" + compacted.to_json());
  Value borrowed = parsed.eval_borrowing(run().scope(true));
  if (!(borrowed == plain))
    broken("eval_borrowing() differs from eval()", plain.to_json() + "\n" + borrowed.to_json());
  BorrowedArray::end(borrowed);
}

// Expr::parse_shared reads plain references without the parser: the same text must give the
// same reference, and be refused alike.
void check_plain_expression(std::string_view text) {
  std::unique_ptr<Expr> parsed;
  std::shared_ptr<Expr> shared;
  try {
    parsed = Expr::parse(text, 2);
  } catch (const TemplateSyntaxError&) {
  }
  try {
    shared = Expr::parse_shared(text, 2);
  } catch (const TemplateSyntaxError&) {
  }
  if ((parsed == nullptr) != (shared == nullptr))
    broken("parse_shared and parse disagree on whether an expression is valid", std::string(text));
  if (parsed == nullptr)
    return;
  const Reference* expected = parsed->as_reference();
  const Reference* got = shared->as_reference();
  if ((expected == nullptr) != (got == nullptr))
    broken("parse_shared and parse disagree on whether an expression is a reference",
           std::string(text));
  if (expected != nullptr && (got->root != expected->root || got->name != expected->name ||
                              got->path.to_string() != expected->path.to_string() ||
                              got->text != expected->text || got->offset != expected->offset))
    broken("parse_shared reads a reference differently from parse", std::string(text));
}

// A lone `{{ reference }}` as a setting is read without the expression parser: it must come
// out as the template's (whose expressions check_plain_expression compares with the parser).
void check_lone_reference(std::string_view text, Template& parsed) {
  const Reference* expected = parsed.single_reference();
  if (expected == nullptr)
    return;
  ValueTemplate setting = ValueTemplate::parse(Value(text), template_limit);
  std::vector<Reference*> references;
  setting.collect(references);
  if (references.size() != 1)
    broken("a lone reference as a setting holds another count of references", std::string(text));
  const Reference& got = *references.front();
  if (got.root != expected->root || got.name != expected->name ||
      got.path.to_string() != expected->path.to_string() || got.text != expected->text ||
      got.offset != expected->offset)
    broken("a lone reference as a setting differs from the parser's", std::string(text));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_plain_expression(text);
  std::optional<Template> parsed;
  try {
    parsed = Template::parse(text, template_limit);
  } catch (const TemplateSyntaxError& e) {
    if (e.offset() > size)
      broken("syntax error offset past the end of the template", e.what());
    // A setting reads a lone reference on a shorter path; it must refuse the same texts.
    try {
      (void)ValueTemplate::parse(Value(text), template_limit);
    } catch (const TemplateSyntaxError&) {
      return 0; // the documented refusal
    }
    broken("a setting accepts a template the parser refuses", e.what());
  }
  check_lone_reference(text, *parsed);

  std::vector<Reference*> references;
  parsed->collect(references);
  bind_references(references);
  (void)parsed->eval(EvalScope{});
  (void)parsed->eval(run().scope(false));
  const Value value = parsed->eval(run().scope(true));
  (void)value.to_text();

  // The same text as a setting: alone, in a list beside a lone reference, in an object.
  const Value string(text);
  check_value_template(string, true);
  check_value_template(Value(sluice::Array{string, Value("{{ inputs.n }}"), string}), true);
  check_value_template(Value(sluice::Object{{"k", string}, {"n", Value(1)}}), true);
  return 0;
}
