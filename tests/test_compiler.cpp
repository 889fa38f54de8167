// Tests for the plan compiler (engine/src/compiler.cpp): exact diagnostics for node types,
// settings, templates, references, cycles, execution options and limits, and the plans built
// from good pipelines. File-shape problems are test_yaml_loader.cpp's.

#include "support/numbered.hpp"
#include "support/pipeline_helpers.hpp"

#include "compiler.hpp"
#include "registry.hpp"
#include "yaml_loader.hpp"

#include <sluice/detail/borrowed_array.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using namespace sluice;
using namespace sluice::detail;
using namespace test_support;
using namespace std::chrono_literals;

namespace {

// Plan edges are spans into one array; compare them as vectors.
std::vector<std::uint32_t> as_vector(std::span<const std::uint32_t> edges) {
  return {edges.begin(), edges.end()};
}

std::shared_ptr<const Plan> load(std::string_view yaml) {
  std::vector<Diagnostic> diagnostics;
  const PipelineSpec spec = parse_pipeline_yaml(yaml, "p.yaml", diagnostics);
  for (const Diagnostic& d : diagnostics)
    FAIL_CHECK(d.to_string());
  REQUIRE(diagnostics.empty());
  try {
    return compile_plan(spec, registry());
  } catch (const LoadError& e) {
    FAIL(e.what());
  }
  return nullptr;
}

} // namespace

// ---- diagnostics, exact text ---------------------------------------------------------------

TEST_CASE("unknown node type, with and without a suggestion") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  hello:
    type: core.templat
    with: { template: hi }
  meet: { type: zoom.create_meeting }
)yaml") == Errors{"p.yaml:4:11: error: unknown node type 'core.templat'\n"
                  "  hint: did you mean 'core.template'?",
                  "p.yaml:6:17: error: unknown node type 'zoom.create_meeting'\n"
                  "  hint: known types: core.delay, core.echo, core.merge, core.template"});
}

TEST_CASE("unknown setting") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  hello:
    type: core.template
    with: { tmplate: hi, template: x }
  echo: { type: core.echo, with: { colour: red } }
)yaml") == Errors{"p.yaml:5:13: error: unknown setting 'tmplate' for core.template\n"
                  "  hint: did you mean 'template'? settings of core.template: template",
                  "p.yaml:6:36: error: unknown setting 'colour' for core.echo\n"
                  "  hint: settings of core.echo: value"});
}

TEST_CASE("missing required setting") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  wait:
    type: core.delay
  merge: { type: core.merge, with: { mode: all } }
)yaml") == Errors{"p.yaml:3:3: error: node 'wait' (core.delay) is missing required setting 'ms'\n"
                  "  hint: add 'ms' (integer) under 'with:'",
                  "p.yaml:5:3: error: node 'merge' (core.merge) is missing required setting "
                  "'values'\n"
                  "  hint: add 'values' (array) under 'with:'"});
}

TEST_CASE("wrong setting type") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  wait: { type: core.delay, with: { ms: "500" } }
  merge: { type: core.merge, with: { values: 3, mode: [a] } }
)yaml") == Errors{"p.yaml:3:41: error: setting 'ms' of core.delay expects integer, got string",
                  "p.yaml:4:46: error: setting 'values' of core.merge expects array, got integer",
                  "p.yaml:4:55: error: setting 'mode' of core.merge expects string, got array"});
}

TEST_CASE("a template that is one expression is not type-checked at load time") {
  CHECK(errors_of(R"yaml(version: 1
inputs:
  n: { type: integer, default: 5 }
  list: { type: array, default: [] }
nodes:
  wait: { type: core.delay, with: { ms: "{{ inputs.n }}" } }
  merge: { type: core.merge, with: { values: "{{ inputs.list }}" } }
)yaml")
            .empty());
}

TEST_CASE("template syntax errors") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  hello: { type: core.template, with: { template: "Hi {{ inputs.who" } }
outputs:
  out: "{{ hello.text) }}"
)yaml") == Errors{"p.yaml:3:51: error: unclosed '{{' in setting 'template' (character 4)",
                  "p.yaml:5:8: error: unexpected ')' in output 'out' (character 14)"});
}

TEST_CASE("unknown node reference") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  hello: { type: core.template, with: { template: hi } }
  shout:
    type: core.template
    with: { template: "{{ helo.text }}!" }
  loop: { type: core.template, with: { template: "{{ loop.text }}" } }
)yaml") == Errors{"p.yaml:6:23: error: unknown node 'helo' in '{{ helo.text }}'\n"
                  "  hint: did you mean 'hello'?",
                  "p.yaml:7:50: error: node 'loop' refers to itself in '{{ loop.text }}'"});
}

TEST_CASE("unknown input") {
  CHECK(errors_of(R"yaml(version: 1
inputs:
  who: { type: string, default: world }
nodes:
  hello:
    type: core.template
    with: { template: "Hi {{ inputs.whom }}" }
outputs:
  x: "{{ inputs.zzz }}"
)yaml") == Errors{"p.yaml:7:23: error: unknown input 'whom' in '{{ inputs.whom }}'\n"
                  "  hint: did you mean 'who'? declared inputs: who",
                  "p.yaml:9:6: error: unknown input 'zzz' in '{{ inputs.zzz }}'\n"
                  "  hint: declared inputs: who"});
  CHECK(errors_of("version: 1\nnodes: {}\noutputs: { x: \"{{ inputs.a }}\" }\n") ==
        Errors{"p.yaml:3:15: error: unknown input 'a' in '{{ inputs.a }}'\n"
               "  hint: the pipeline declares no inputs"});
}

TEST_CASE("unknown output field") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  hello: { type: core.template, with: { template: hi } }
  shout:
    type: core.template
    with: { template: "{{ hello.txt }}" }
  echo: { type: core.echo, with: { value: "{{ hello.text }}" } }
outputs:
  anything: "{{ echo.whatever.deep }}"
  wrong: "{{ shout.value }}"
)yaml") == Errors{"p.yaml:6:23: error: node 'hello' (core.template) has no output 'txt'; "
                  "outputs: text\n"
                  "  hint: did you mean 'text'?",
                  "p.yaml:10:10: error: node 'shout' (core.template) has no output 'value'; "
                  "outputs: text"});
}

TEST_CASE(
    "the output of a for_each node is a list: its fields are not checked, before or after it") {
  const Errors errors = errors_of(R"yaml(version: 1
inputs:
  names: { type: array, default: [a] }
nodes:
  before: { type: core.echo, with: { value: "{{ each.count }}" } }
  each:
    type: core.template
    for_each: "{{ inputs.names }}"
    with: { template: "{{ item }}" }
  after: { type: core.echo, with: { value: "{{ each.count }}" } }
  plain: { type: core.echo, with: { value: "{{ hello.count }}" } }
  hello: { type: core.template, with: { template: hi } }
)yaml");
  REQUIRE(errors.size() == 1);
  INFO(errors[0]);
  CHECK(errors[0].starts_with(
      "p.yaml:11:44: error: node 'hello' (core.template) has no output 'count'; outputs: text"));
}

TEST_CASE("item outside for_each") {
  CHECK(errors_of(R"yaml(version: 1
inputs:
  names: { type: array, default: [a] }
nodes:
  hello:
    type: core.template
    with: { template: "{{ item.name }}" }
  each:
    type: core.template
    for_each: "{{ inputs.names }}"
    if: "{{ index > 0 }}"
    with: { template: "{{ index }}: {{ item }}" }
)yaml") == Errors{"p.yaml:7:23: error: 'item' used outside 'for_each' in '{{ item.name }}'\n"
                  "  hint: 'item' and 'index' exist only in the settings of a node with "
                  "'for_each:'",
                  "p.yaml:11:9: error: 'index' used outside 'for_each' in '{{ index }}'\n"
                  "  hint: 'item' and 'index' exist only in the settings of a node with "
                  "'for_each:'"});
}

TEST_CASE("cycles are reported once each, with their path") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  a: { type: core.template, with: { template: "{{ c.text }}" } }
  b: { type: core.template, with: { template: "{{ a.text }}" } }
  c:
    type: core.template
    needs: [b]
    with: { template: x }
  d: { type: core.template, with: { template: "{{ a.text }}" } }
  e: { type: core.delay, needs: [f], with: { ms: 1 } }
  f: { type: core.delay, needs: e, with: { ms: 1 } }
)yaml") == Errors{"p.yaml:3:3: error: cycle: a -> b -> c -> a",
                  "p.yaml:10:3: error: cycle: e -> f -> e"});
}

TEST_CASE("bad durations and execution options") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  a:
    type: core.delay
    timeout: soon
    retry: { attempts: 3, backoff: -5ms, max_backoff: 1.5 }
    with: { ms: 1 }
  b:
    type: core.delay
    retry: { attempts: 0, delay: 1s }
    concurrency: 2
    on_error: ignore
    with: { ms: 1 }
)yaml") == Errors{"p.yaml:5:14: error: invalid duration 'soon': use e.g. 250ms, 2s, 5m",
                  "p.yaml:6:36: error: invalid duration '-5ms': use e.g. 250ms, 2s, 5m",
                  "p.yaml:6:55: error: invalid duration '1.5': use e.g. 250ms, 2s, 5m",
                  "p.yaml:10:24: error: retry 'attempts' must be an integer of at least 1, got 0",
                  "p.yaml:10:27: error: unknown key 'delay' in 'retry' of node 'b'\n"
                  "  hint: allowed keys: attempts, backoff, max_backoff",
                  "p.yaml:11:18: error: 'concurrency' only applies to a node with 'for_each'",
                  "p.yaml:12:15: error: invalid on_error 'ignore': use 'fail' or 'continue'"});
}

TEST_CASE("bad conditions, for_each and needs") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  a: { type: core.delay, if: yes, with: { ms: 1 } }
  b: { type: core.delay, for_each: [1, 2], with: { ms: 1 } }
  c: { type: core.delay, needs: [a, nobody], with: { ms: 1 } }
)yaml") == Errors{"p.yaml:3:30: error: 'if' of node 'a' must be true, false or a template such as "
                  "'{{ inputs.enabled }}', got 'yes'",
                  "p.yaml:4:36: error: 'for_each' of node 'b' must be a template that yields a "
                  "list, such as '{{ inputs.items }}', got [1,2]",
                  "p.yaml:5:37: error: node 'c' needs unknown node 'nobody'"});
}

TEST_CASE("bad inputs") {
  CHECK(errors_of(R"yaml(version: 1
inputs:
  n: { type: integer, default: lots }
  s: { type: strng }
  r: { type: boolean, required: maybe, colour: red }
nodes: {}
)yaml") == Errors{"p.yaml:3:3: error: default of input 'n' must be integer, got string",
                  "p.yaml:4:14: error: input 's' has unknown type 'strng'\n"
                  "  hint: did you mean 'string'? allowed types: string, integer, number, boolean, "
                  "array, object",
                  "p.yaml:5:33: error: 'required' of input 'r' must be true or false, got 'maybe'",
                  "p.yaml:5:40: error: unknown key 'colour' in input 'r'\n"
                  "  hint: allowed keys: type, default, required, description"});
}

TEST_CASE("several problems in one file are all reported, in file order") {
  const std::string yaml = R"yaml(version: 1
nodes:
  a:
    type: core.delay
    with: { ms: "x" }
  b:
    type: core.nope
    colour: red
  c: { type: core.template, with: { template: "{{ zz.text }}" } }
extra: 1
)yaml";
  const Errors expected{
      "p.yaml:5:17: error: setting 'ms' of core.delay expects integer, got string",
      "p.yaml:7:11: error: unknown node type 'core.nope'\n"
      "  hint: known types: core.delay, core.echo, core.merge, core.template",
      "p.yaml:8:5: error: unknown key 'colour' in node 'b'\n"
      "  hint: allowed keys: type, description, with, needs, if, for_each, concurrency, retry, "
      "timeout, on_error",
      "p.yaml:9:47: error: unknown node 'zz' in '{{ zz.text }}'",
      "p.yaml:10:1: error: unknown key 'extra' at the top level\n"
      "  hint: allowed keys: version, name, description, inputs, nodes, outputs, triggers, "
      "concurrency, on_restart"};
  CHECK(errors_of(yaml) == expected);
}

TEST_CASE("a spec built in code with positions still has its missing type reported") {
  // The compiler leaves an empty type to the loader only for specs the loader read: one
  // built in code that carries positions used to compile into a plan with a node of no type,
  // which `Pipeline::to_dot()` then dereferenced.
  PipelineSpec spec;
  spec.file = "made.yaml";
  NodeDecl node;
  node.id = "x";
  node.mark = SourceMark{3, 3};
  spec.nodes.push_back(node);
  try {
    (void)compile_plan(spec, registry());
    FAIL("expected a LoadError");
  } catch (const LoadError& e) {
    CHECK(std::string(e.what()) == "made.yaml:3:3: error: node 'x' has no 'type'");
  }
}

TEST_CASE("a spec built in code reports without positions") {
  PipelineSpec spec;
  NodeDecl node;
  node.id = "x";
  spec.nodes.push_back(node);
  node.id = "bad id";
  node.type = "core.echo";
  spec.nodes.push_back(node);
  try {
    (void)compile_plan(spec, registry());
    FAIL("expected a LoadError");
  } catch (const LoadError& e) {
    CHECK(std::string(e.what()) ==
          "<code>: error: node 'x' has no 'type'\n"
          "<code>: error: invalid node id 'bad id'\n"
          "  hint: use letters, digits, '_' and '-', starting with a letter or '_'");
  }
}

TEST_CASE("node ids that are words of the expression language are refused; ids near them are not") {
  PipelineSpec spec;
  NodeDecl node;
  node.type = "core.echo";
  for (const char* id : {"inputs", "item", "index", "true", "false", "null", "items", "inputs2",
                         "nullable", "truth", "f", "i", "n", "t"}) {
    node.id = id;
    spec.nodes.push_back(node);
  }
  try {
    (void)compile_plan(spec, registry());
    FAIL("expected a LoadError");
  } catch (const LoadError& e) {
    std::vector<std::string> reserved;
    for (const Diagnostic& d : e.diagnostics()) {
      const std::size_t open = d.message.find('\'');
      reserved.push_back(d.message.substr(open + 1, d.message.find('\'', open + 1) - open - 1));
      CHECK(d.message.ends_with("' is reserved"));
    }
    CHECK(reserved == std::vector<std::string>{"inputs", "item", "index", "true", "false", "null"});
  }
}

// ---- limits (sluice/limits.hpp) ------------------------------------------------------------

TEST_CASE("template bytes: each template past the limit is reported where it is") {
  const std::string yaml = R"yaml(version: 1
inputs: { x: {} }
nodes:
  a:
    type: core.template
    if: "{{ inputs.x }} == {{ inputs.x }}"
    with: { template: "{{ inputs.x }} and more" }
  b:
    type: core.echo
    for_each: "{{ inputs.x }}          "
    with: { value: [1, { deep: "{{ item }} and then more" }] }
  c:
    type: core.echo
    with: { value: "a long constant string holds no template" }
outputs:
  o: "{{ a.text }} and more"
)yaml";
  const std::string hint = "\n  hint: raise the limit with --max-template-bytes "
                           "(Limits::template_bytes when embedding)";
  Limits limits;
  limits.template_bytes = 20;
  CHECK(errors_of(yaml, limits) ==
        Errors{"p.yaml:6:9: error: the template in 'if' is 32 bytes long, more than 20 bytes, "
               "the limit for one template" +
                   hint,
               "p.yaml:7:23: error: the template in setting 'template' is 23 bytes long, more "
               "than 20 bytes, the limit for one template" +
                   hint,
               "p.yaml:10:15: error: the template in 'for_each' is 24 bytes long, more than 20 "
               "bytes, the limit for one template" +
                   hint,
               "p.yaml:11:20: error: the template in setting 'value' is 24 bytes long, more than "
               "20 bytes, the limit for one template" +
                   hint,
               "p.yaml:16:6: error: the template in output 'o' is 21 bytes long, more than 20 "
               "bytes, the limit for one template" +
                   hint});
  limits.template_bytes = 32;
  CHECK(errors_of(yaml, limits).empty());
}

TEST_CASE("nodes: a spec built in code past the limit is refused before anything else") {
  PipelineSpec spec;
  for (int i = 0; i < 3; ++i) {
    NodeDecl node;
    node.id = numbered("n", i);
    node.type = "no.such.type";
    spec.nodes.push_back(node);
  }
  Limits limits;
  limits.nodes = 2;
  try {
    (void)compile_plan(spec, registry(), limits);
    FAIL("expected a LoadError");
  } catch (const LoadError& e) {
    CHECK(std::string(e.what()) ==
          "<code>: error: the pipeline has more than 2 nodes, the limit for one pipeline\n"
          "  hint: raise the limit with --max-nodes (Limits::nodes when embedding)");
  }
  limits.nodes = 3;
  try {
    (void)compile_plan(spec, registry(), limits);
    FAIL("expected a LoadError");
  } catch (const LoadError& e) {
    CHECK(e.diagnostics().size() == 3);
    CHECK(e.diagnostics()[0].message == "unknown node type 'no.such.type'");
  }
}

// ---- plans ---------------------------------------------------------------------------------

TEST_CASE("the example compiles into the expected graph") {
  const auto plan = load(example);
  REQUIRE(plan->nodes.size() == 4);
  CHECK(plan->name == "greet");
  CHECK(plan->file == "p.yaml");
  REQUIRE(plan->inputs.size() == 1);
  CHECK(plan->inputs[0].name == "who");
  CHECK(plan->inputs[0].type == SettingType::string);
  CHECK(plan->inputs[0].default_value == Value("world"));

  const PlanNode& hello = plan->nodes[0];
  const PlanNode& wait_a = plan->nodes[1];
  CHECK(plan->roots == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(as_vector(plan->dependencies(3)) == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(as_vector(plan->successors(0)) == std::vector<std::uint32_t>{3});
  CHECK(as_vector(plan->successors(1)) == std::vector<std::uint32_t>{3});
  CHECK(as_vector(plan->successors(2)) == std::vector<std::uint32_t>{3});
  CHECK(plan->successors(3).empty());
  CHECK(hello.inline_fast_path);
  CHECK_FALSE(wait_a.inline_fast_path); // core.delay is asynchronous
  REQUIRE(plan->settings(1).size() == 1);
  CHECK(plan->settings(1)[0].constant() == Value(500));

  // References are bound: evaluate with a run's values.
  const Value inputs = Value::parse_json(R"({"who": "Ada"})");
  std::vector<NodeResult> results(4);
  results[0].output = Value::parse_json(R"({"text": "Hello, Ada!"})");
  results[3].output = Value::parse_json(R"({"text": "done"})");
  const EvalScope scope{&inputs, results.data(), nullptr, -1};
  CHECK(plan->settings(0)[0].eval(scope) == Value("Hello, Ada!"));
  CHECK(plan->settings(3)[0].eval(scope) == Value("Hello, Ada! (after both waits)"));
  REQUIRE(plan->outputs.size() == 1);
  CHECK(plan->outputs[0].name == "message");
  CHECK(plan->outputs[0].value.eval(scope) == Value("done"));
}

TEST_CASE("a setting that is one reference keeps the referenced type") {
  const auto plan = load(R"yaml(version: 1
inputs:
  n: { type: integer, default: 5 }
nodes:
  merge:
    type: core.merge
    with: { values: ["{{ inputs.n }}", "n={{ inputs.n }}", 7] }
)yaml");
  const auto settings = plan->settings(0);
  REQUIRE(settings.size() == 2);
  CHECK(settings[1].constant() == Value("first")); // the default
  const Value inputs = Value::parse_json(R"({"n": 12})");
  const Value values = settings[0].eval(EvalScope{&inputs, nullptr, nullptr, -1});
  CHECK(values == Value::parse_json(R"([12, "n=12", 7])"));
  CHECK(values[0u].is_int());
}

TEST_CASE("each setting slot holds what was given, in the type's order, or its default") {
  // Given out of the type's order; an explicit null reads as not given.
  const auto plan = load(R"yaml(version: 1
nodes:
  given:
    type: core.merge
    with: { mode: last, values: [1] }
  nulled:
    type: core.merge
    with: { mode: null, values: [2] }
  defaulted:
    type: core.merge
    with: { values: [3] }
)yaml");
  for (std::uint32_t n = 0; n < 3; ++n) {
    const auto settings = plan->settings(n);
    REQUIRE(settings.size() == 2);
    REQUIRE(settings[0].is_constant());
    CHECK(settings[0].constant() == Value(Array{Value(n + 1)}));
    CHECK(settings[1].constant() == Value(n == 0 ? "last" : "first"));
  }
}

// A list of plain references is bound while it is read, into the plan's store of lists
// (a long one element by element, a short one once all are read); mixed lists and lists
// with a bad reference take the general path, a long one after binding part of it. Each
// shape must bind the same edges, once, and evaluate to the same values.
TEST_CASE("lists of references: every shape binds its edges and evaluates, borrowed or not") {
  // Not in a pattern that repeats every 2, 4 or 8 elements: each must land in its place.
  const char* const refs[] = {"'{{ a.text }}'", "'{{ b.text }}'", "'{{ inputs.who }}'"};
  std::string twenty;
  for (int i = 0; i < 20; ++i)
    twenty += std::string(i > 0 ? ", " : "") + refs[i % 3];
  const auto plan = load(R"yaml(version: 1
inputs:
  who: { type: string, default: Ada }
nodes:
  a: { type: core.template, with: { template: A } }
  b: { type: core.template, with: { template: B } }
  plain: { type: core.merge, with: { values: ["{{ b.text }}", "{{ inputs.who }}", "{{ a.text }}"] } }
  mixed: { type: core.merge, with: { values: ["{{ a.text }}", 7, "x{{ b.text }}"] } }
  long: { type: core.merge, with: { values: [)yaml" +
                         twenty + R"yaml(] } }
  each:
    type: core.merge
    for_each: "{{ inputs.who }}"
    with: { values: ["{{ item }}", "{{ a.text }}", "{{ index }}"] }
  long_mixed: { type: core.merge, with: { values: [)yaml" +
                         twenty + R"yaml(, "{{ inputs.who }}", 7] } }
)yaml");
  CHECK(as_vector(plan->dependencies(2)) == std::vector<std::uint32_t>{1, 0});
  CHECK(as_vector(plan->dependencies(3)) == std::vector<std::uint32_t>{0, 1});
  CHECK(as_vector(plan->dependencies(4)) == std::vector<std::uint32_t>{0, 1});
  CHECK(as_vector(plan->dependencies(5)) == std::vector<std::uint32_t>{0});
  CHECK(as_vector(plan->dependencies(6)) == std::vector<std::uint32_t>{0, 1});
  CHECK(as_vector(plan->successors(0)) == std::vector<std::uint32_t>{2, 3, 4, 5, 6});
  CHECK(plan->nodes[6].dependency_count == 2);

  const Value inputs = Value::parse_json(R"({"who": "Ada"})");
  std::vector<NodeResult> results(7);
  results[0].output = Value::parse_json(R"({"text": "A"})");
  results[1].output = Value::parse_json(R"({"text": "B"})");
  const Value item("it");
  const EvalScope scope{&inputs, results.data(), &item, 3};
  const auto evaluated = [&](std::uint32_t node, bool borrowing) {
    const ValueTemplate& values = plan->settings(node)[0];
    if (!borrowing)
      return values.eval(scope);
    Value borrowed = values.eval_borrowing(scope);
    const Value copy = Value::parse_json(borrowed.to_json());
    BorrowedArray::end(borrowed);
    return copy;
  };
  Array long_values;
  for (int i = 0; i < 20; ++i)
    long_values.emplace_back(i % 3 == 0 ? "A" : i % 3 == 1 ? "B" : "Ada");
  for (const bool borrowing : {false, true}) {
    CAPTURE(borrowing);
    CHECK(evaluated(2, borrowing) == Value::parse_json(R"(["B", "Ada", "A"])"));
    CHECK(evaluated(3, borrowing) == Value::parse_json(R"(["A", 7, "xB"])"));
    CHECK(evaluated(4, borrowing) == Value(long_values));
    CHECK(evaluated(5, borrowing) == Value::parse_json(R"(["it", "A", 3])"));
    Array long_mixed = long_values;
    long_mixed.emplace_back("Ada");
    long_mixed.emplace_back(7);
    CHECK(evaluated(6, borrowing) == Value(long_mixed));
  }
}

TEST_CASE("lists of references: a bad one among good ones is reported where it is") {
  const Errors errors = errors_of(R"yaml(version: 1
inputs:
  who: { type: string, default: Ada }
nodes:
  a: { type: core.template, with: { template: x } }
  b:
    type: core.merge
    with: { values: ["{{ a.text }}", "{{ nope.text }}", "{{ a.txt }}", "{{ inputs.whom }}",
                     "{{ item }}", "{{ b.text }}"] }
)yaml");
  REQUIRE(errors.size() == 5);
  CHECK(errors[0].starts_with("p.yaml:8:21: error: unknown node 'nope' in '{{ nope.text }}'"));
  CHECK(errors[1].starts_with("p.yaml:8:21: error: node 'a' (core.template) has no output 'txt'"));
  CHECK(errors[2].starts_with("p.yaml:8:21: error: unknown input 'whom'"));
  CHECK(errors[3].starts_with("p.yaml:8:21: error: 'item' used outside 'for_each'"));
  CHECK(errors[4].starts_with("p.yaml:8:21: error: node 'b' refers to itself"));
}

TEST_CASE("lists of references: a bad one in a long list is reported once, where it is") {
  std::string good;
  for (int i = 0; i < 12; ++i)
    good += "\"{{ a.text }}\", ";
  const Errors errors = errors_of(R"yaml(version: 1
nodes:
  a: { type: core.template, with: { template: x } }
  b:
    type: core.merge
    with: { values: [)yaml" + good +
                                  R"yaml("{{ nope.text }}", "{{ a.txt }}"] }
)yaml");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].starts_with("p.yaml:6:21: error: unknown node 'nope' in '{{ nope.text }}'"));
  CHECK(errors[1].starts_with("p.yaml:6:21: error: node 'a' (core.template) has no output 'txt'"));
}

TEST_CASE("execution options compile into the plan") {
  const auto plan = load(R"yaml(version: 1
inputs:
  names: { type: array, default: [a, b] }
  go: { type: boolean, required: true }
nodes:
  each:
    type: core.template
    for_each: "{{ inputs.names }}"
    concurrency: 2
    retry: { attempts: 3, backoff: 100ms, max_backoff: 2s }
    timeout: 1.5s
    on_error: continue
    if: "{{ inputs.go && !first.text }}"
    with: { template: "{{ index }}={{ item }}" }
  first: { type: core.template, retry: 2, with: { template: x } }
  never: { type: core.template, if: false, needs: first, with: { template: y } }
)yaml");
  const PlanNode& each = plan->nodes[0];
  CHECK(plan->inputs[1].required);
  CHECK_FALSE(plan->inputs[1].default_value.has_value());
  REQUIRE(each.extra().for_each);
  REQUIRE(each.extra().condition);
  CHECK(each.extra().concurrency == 2);
  CHECK(each.extra().retry.attempts == 3);
  CHECK(each.extra().retry.backoff == 100ms);
  CHECK(each.extra().retry.max_backoff == 2s);
  REQUIRE(each.extra().timeout);
  CHECK(*each.extra().timeout == 1500ms);
  CHECK(each.on_error == OnError::proceed);
  CHECK_FALSE(each.inline_fast_path);
  CHECK(as_vector(plan->dependencies(0)) == std::vector<std::uint32_t>{1}); // via the condition

  const PlanNode& first = plan->nodes[1];
  CHECK(first.extra().retry.attempts == 2);
  CHECK(first.extra().retry.backoff == 250ms); // defaults
  CHECK_FALSE(first.inline_fast_path);
  CHECK(first.on_error == OnError::fail);

  const PlanNode& never = plan->nodes[2];
  REQUIRE(never.extra().condition);
  CHECK(never.extra().condition->eval(EvalScope{}) == Value(false));
  CHECK(as_vector(plan->dependencies(2)) == std::vector<std::uint32_t>{1});
  CHECK(never.inline_fast_path);
  CHECK(plan->roots == std::vector<std::uint32_t>{1});

  const Value inputs = Value::parse_json(R"({"names": ["a"], "go": true})");
  const Value item("z");
  std::vector<NodeResult> results(3);
  CHECK(plan->settings(0)[0].eval(EvalScope{&inputs, results.data(), &item, 4}) == Value("4=z"));
  CHECK(each.extra().condition->eval(EvalScope{&inputs, results.data(), nullptr, -1}) ==
        Value(true));
  CHECK(each.extra().for_each->eval(EvalScope{&inputs, results.data(), nullptr, -1}) ==
        Value::parse_json(R"(["a"])"));
}

TEST_CASE("references into for_each outputs are not checked against declared outputs") {
  const auto plan = load(R"yaml(version: 1
inputs:
  names: { type: array, default: [a, b] }
nodes:
  greet:
    type: core.template
    for_each: "{{ inputs.names }}"
    with: { template: "hi {{ item }}" }
outputs:
  all: "{{ greet }}"
  first: "{{ greet[0].text }}"
)yaml");
  CHECK(plan->outputs.size() == 2);
}

TEST_CASE("dependencies are unique") {
  const auto plan = load(R"yaml(version: 1
nodes:
  a: { type: core.template, with: { template: x } }
  b:
    type: core.merge
    needs: [a, a]
    with: { values: ["{{ a.text }}", "{{ a.text }}"] }
)yaml");
  CHECK(as_vector(plan->dependencies(1)) == std::vector<std::uint32_t>{0});
  CHECK(as_vector(plan->successors(0)) == std::vector<std::uint32_t>{1});
}

TEST_CASE("a 100,000-node chain compiles") {
  constexpr std::uint32_t count = 100'000;
  PipelineSpec spec;
  spec.nodes.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    NodeDecl node;
    node.id = numbered("n", i);
    node.type = "core.template";
    node.with.push_back(
        SettingDecl{"template",
                    Value(i == 0 ? std::string("start") : numbered("{{ n", i - 1) + ".text }}+"),
                    {}});
    spec.nodes.push_back(std::move(node));
  }
  const auto plan = compile_plan(spec, registry());
  REQUIRE(plan->nodes.size() == count);
  CHECK(plan->roots == std::vector<std::uint32_t>{0});
  CHECK(as_vector(plan->dependencies(count - 1)) == std::vector<std::uint32_t>{count - 2});
  CHECK(as_vector(plan->successors(0)) == std::vector<std::uint32_t>{1});

  // Closing the chain into one long cycle: found without recursion, reported once.
  spec.nodes[0].needs.push_back(SpecField{Value(numbered("n", count - 1)), {}});
  try {
    (void)compile_plan(spec, registry());
    FAIL("expected a cycle");
  } catch (const LoadError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].message.starts_with("cycle: n0 -> n1 -> n2 -> "));
    CHECK(e.diagnostics()[0].message.ends_with(" -> n99999 -> n0"));
  }
}

// ---- a node type's own settings check (SDK 1.5) ----------------------------------------------

namespace {

// test.zone: a type whose check refuses `zone` values other than "UTC" and records what it was
// shown, so the tests see exactly which settings count as known.
struct CheckedType {
  Registry registry;
  std::vector<KnownSettings> seen;

  explicit CheckedType(SettingsCheck check = {}) {
    registry.add(sync_type("core.template", {{"template", SettingType::string, "", true, {}}},
                           {{"text", SettingType::string, ""}}));
    registry.add(sync_type("test.zone",
                           {{"zone", SettingType::string, "", false, {}},
                            {"when", SettingType::string, "", false, {}},
                            {"mode", SettingType::string, "", false, Value("fast")},
                            {"extra", SettingType::object, "", false, {}}},
                           {}));
    if (!check)
      check = [this](const KnownSettings& known) {
        seen.push_back(known);
        std::vector<SettingProblem> problems;
        if (const Value* zone = known.literals.find("zone"); zone && zone->as_string() != "UTC")
          problems.push_back({"zone", "'" + std::string(zone->as_string()) + "' is not UTC"});
        if (const Value* mode = known.literals.find("mode"); mode && mode->as_string() != "fast")
          problems.push_back({"mode", "must be fast"});
        if (const Value* extra = known.literals.find("extra"); extra && extra->find("bad"))
          problems.push_back({"extra.bad", "is not allowed"});
        return problems;
      };
    registry.add_settings_check("test.zone", std::move(check));
  }

  Errors errors(std::string_view yaml) {
    std::vector<Diagnostic> diagnostics;
    const PipelineSpec spec = parse_pipeline_yaml(yaml, "p.yaml", diagnostics);
    REQUIRE(diagnostics.empty());
    try {
      (void)compile_plan(spec, registry);
    } catch (const LoadError& e) {
      Errors out;
      for (const Diagnostic& d : e.diagnostics())
        out.push_back(d.to_string());
      return out;
    }
    return {};
  }
};

} // namespace

TEST_CASE("settings check: a bad literal is reported at the setting, a nested one too") {
  CheckedType t;
  CHECK(t.errors(R"yaml(version: 1
nodes:
  a:
    type: test.zone
    with:
      zone: Europe/Nowhere
      extra: { ok: 1, bad: 2 }
)yaml") == Errors{"p.yaml:6:13: error: setting 'zone' of test.zone: 'Europe/Nowhere' is not UTC",
                  "p.yaml:7:14: error: setting 'extra.bad' of test.zone: is not allowed"});
}

TEST_CASE("settings check: it sees literals and defaults; templated settings only by name") {
  CheckedType t;
  CHECK(t.errors(R"yaml(version: 1
nodes:
  src: { type: core.template, with: { template: UTC } }
  a:
    type: test.zone
    with:
      zone: "{{ src.text }}"
      when: "2030-01-01"
      extra: { inner: "{{ src.text }}" }
)yaml")
            .empty());
  REQUIRE(t.seen.size() == 1);
  const KnownSettings& known = t.seen[0];
  CHECK(known.literals == Value::parse_json(R"({"when": "2030-01-01", "mode": "fast"})"));
  CHECK(known.templated == std::vector<std::string>{"zone", "extra"});
  CHECK(known.is_templated("zone"));
  CHECK_FALSE(known.is_templated("when"));
}

TEST_CASE("settings check: a problem with a default points at the node") {
  CheckedType t([](const KnownSettings&) {
    return std::vector<SettingProblem>{{"mode", "is wrong"}};
  });
  CHECK(t.errors("version: 1\nnodes:\n  a: { type: test.zone }\n") ==
        Errors{"p.yaml:3:3: error: setting 'mode' of test.zone: is wrong"});
}

TEST_CASE("settings check: not run when the engine already refused a setting of the node") {
  CheckedType t;
  CHECK(t.errors("version: 1\nnodes:\n  a: { type: test.zone, with: { zone: 1, mode: slow } }\n") ==
        Errors{"p.yaml:3:39: error: setting 'zone' of test.zone expects string, got integer"});
  CHECK(t.seen.empty());
}

TEST_CASE("settings check: one that throws is a diagnostic, with its text made printable") {
  CheckedType t([](const KnownSettings&) -> std::vector<SettingProblem> {
    throw std::runtime_error("broken\x1b[2J check");
  });
  CHECK(t.errors("version: 1\nnodes:\n  a: { type: test.zone, with: { zone: UTC } }\n") ==
        Errors{"p.yaml:3:3: error: the settings check of test.zone failed on node 'a': "
               "broken\\x1b[2J check"});
}

TEST_CASE("settings check: one per registered type") {
  Registry registry;
  const SettingsCheck check = [](const KnownSettings&) { return std::vector<SettingProblem>{}; };
  CHECK_THROWS_WITH_AS(registry.add_settings_check("test.none", check),
                       "settings check for unknown node type 'test.none': register the type first",
                       std::invalid_argument);
  registry.add(sync_type("test.some", {}, {}));
  CHECK_THROWS_WITH_AS(registry.add_settings_check("test.some", SettingsCheck{}),
                       "the settings check of node type 'test.some' has no function",
                       std::invalid_argument);
  registry.add_settings_check("test.some", check);
  CHECK(registry.find_settings_check("test.some") != nullptr);
  CHECK_THROWS_WITH_AS(registry.add_settings_check("test.some", check),
                       "settings check for node type 'test.some' is already registered (built in)",
                       std::invalid_argument);
}

TEST_CASE("side-effects rule: one per type, naming a setting of a type with side effects") {
  Registry registry;
  const SideEffectsRule rule{"method", {"GET"}};
  CHECK_THROWS_WITH_AS(registry.add_side_effects_rule("test.none", rule),
                       "side-effects rule for unknown node type 'test.none': register the type "
                       "first",
                       std::invalid_argument);
  NodeType pure = sync_type("test.pure", {{"method", SettingType::string, "", false, {}}}, {});
  registry.add(pure);
  CHECK_THROWS_WITH_AS(registry.add_side_effects_rule("test.pure", rule),
                       "the side-effects rule of node type 'test.pure': the type declares no "
                       "side effects for it to take away",
                       std::invalid_argument);
  NodeType call = sync_type("test.call", {{"method", SettingType::string, "", false, {}}}, {});
  call.spec.side_effects = true;
  registry.add(call);
  CHECK_THROWS_WITH_AS(registry.add_side_effects_rule("test.call", {"verb", {"GET"}}),
                       "the side-effects rule of node type 'test.call' names setting 'verb', "
                       "which the type does not have",
                       std::invalid_argument);
  CHECK_THROWS_AS(registry.add_side_effects_rule("test.call", {"method", {}}),
                  std::invalid_argument);
  registry.add_side_effects_rule("test.call", rule);
  REQUIRE(registry.find_side_effects_rule("test.call") != nullptr);
  CHECK(registry.find_side_effects_rule("test.call")->none_when == std::vector<std::string>{"GET"});
  CHECK_THROWS_WITH_AS(registry.add_side_effects_rule("test.call", rule),
                       "side-effects rule for node type 'test.call' is already registered "
                       "(built in)",
                       std::invalid_argument);
}

TEST_CASE("side-effects rule: a literal or default value clears them; a template keeps them") {
  Registry registry;
  NodeType call =
      sync_type("test.call", {{"method", SettingType::string, "", false, Value("GET")}}, {});
  call.spec.side_effects = true;
  registry.add(call);
  registry.add_side_effects_rule("test.call", {"method", {"GET", "HEAD"}});
  NodeType write = sync_type("test.write", {}, {});
  write.spec.side_effects = true;
  registry.add(write);
  registry.add(sync_type("test.read", {}, {}));

  std::vector<Diagnostic> diagnostics;
  const PipelineSpec spec = parse_pipeline_yaml(R"(version: 1
inputs:
  m: { type: string, default: GET }
nodes:
  by_default: { type: test.call }
  get: { type: test.call, with: { method: GET } }
  head: { type: test.call, with: { method: head } }
  post: { type: test.call, with: { method: POST } }
  templated: { type: test.call, with: { method: "{{ inputs.m }}" } }
  write: { type: test.write }
  read: { type: test.read }
)",
                                                "p.yaml", diagnostics);
  REQUIRE(diagnostics.empty());
  const auto plan = compile_plan(spec, registry);
  std::map<std::string, bool, std::less<>> effects;
  for (const PlanNode& node : plan->nodes)
    effects.emplace(std::string(node.id), node.side_effects);
  CHECK(effects == std::map<std::string, bool, std::less<>>{{"by_default", false},
                                                            {"get", false},
                                                            {"head", false},
                                                            {"post", true},
                                                            {"templated", true},
                                                            {"write", true},
                                                            {"read", false}});
}
