// Tests for the YAML loader (engine/src/yaml_loader.cpp): exact diagnostics for files of
// the wrong shape (syntax, unknown or duplicate keys, version, types), YAML 1.2 scalars,
// the source positions it records, and the limits it enforces (input bytes, expanded bytes,
// nodes). What the values mean is test_compiler.cpp's.

#include "support/alias_bomb.hpp"
#include "support/numbered.hpp"
#include "support/pipeline_helpers.hpp"

#include "compiler.hpp"
#include "yaml_loader.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::detail;
using namespace test_support;

// ---- diagnostics, exact text ---------------------------------------------------------------

TEST_CASE("YAML syntax error") {
  CHECK(errors_of("version: 1\nnodes:\n  hello:\n    type: core.template\n   with: 1\n") ==
        Errors{"p.yaml:5:4: error: did not find expected key (while parsing a block mapping that "
               "starts at line 3, column 3)\n  hint: check this line's indentation: the keys of "
               "one map start in the same column"});
  CHECK(errors_of("version: 1\nnodes: { a: [1, 2\n") ==
        Errors{"p.yaml:3:1: error: did not find expected ',' or ']' (while parsing a flow "
               "sequence that starts at line 2, column 13)"});
  CHECK(errors_of("version: 1\nname: a: b\n") ==
        Errors{"p.yaml:2:8: error: mapping values are not allowed in this context\n"
               "  hint: quote a value that contains ': '"});
  CHECK(errors_of("version: 1\nnodes:\n\ta: {}\n") ==
        Errors{"p.yaml:3:1: error: found character that cannot start any token (while scanning "
               "for the next token)\n  hint: YAML indents with spaces; replace the tab"});
  CHECK(errors_of("version: 1\nname: \"open\n") ==
        Errors{"p.yaml:3:1: error: found unexpected end of stream (while scanning a quoted "
               "scalar that starts at line 2, column 7)"});
}

TEST_CASE("bytes that are not UTF-8 text: the position is worked out from the offset") {
  CHECK(errors_of("version: 1\nname: a\x01"
                  "b\n") ==
        Errors{"p.yaml:2:8: error: control characters are not allowed (byte 0x01)\n"
               "  hint: write it as an escape (\\x.., \\t) inside a double-quoted string"});
  CHECK(errors_of("version: 1\nname: \xc3\xa9\xff\n") ==
        Errors{"p.yaml:2:8: error: invalid leading UTF-8 octet (byte 0xff)\n"
               "  hint: save the file as UTF-8"});
}

TEST_CASE("aliases: unknown, inside what they repeat, and read where they stand") {
  CHECK(errors_of("version: 1\nnodes: {}\noutputs: { a: *nowhere }\n") ==
        Errors{"p.yaml:3:15: error: the alias *nowhere has no anchor before it\n"
               "  hint: mark the value it repeats with &nowhere earlier in the file"});
  CHECK(errors_of("version: 1\nnodes: {}\noutputs: { a: &loop [1, *loop] }\n") ==
        Errors{"p.yaml:3:25: error: the alias *loop is inside the collection it repeats\n"
               "  hint: a value cannot contain itself; repeat a value defined outside it"});
  // Aliases of a node id, of a list of them and of a whole node all read as written out.
  std::vector<Diagnostic> diagnostics;
  const PipelineSpec spec = parse_pipeline_yaml(R"yaml(version: 1
nodes:
  a: &node { type: core.delay, with: { ms: 1 } }
  b: { type: core.delay, needs: [&first a], with: { ms: 1 } }
  c: { type: core.delay, needs: [*first, b], with: { ms: 1 } }
  d: *node
outputs: { ids: [*first, *first] }
)yaml",
                                                "p.yaml", diagnostics);
  REQUIRE(diagnostics.empty());
  REQUIRE(spec.nodes.size() == 4);
  REQUIRE(spec.nodes[2].needs.size() == 2);
  CHECK(spec.nodes[2].needs[0].value == Value("a"));
  CHECK(spec.nodes[3].type == "core.delay");
  CHECK(spec.nodes[3].with[0].value == Value(1));
  CHECK(spec.outputs[0].value == Value::parse_json(R"(["a", "a"])"));
}

TEST_CASE("nesting is refused as it is read, in time that does not grow with the depth") {
  // libyaml's scanner does work in proportion to the open collections on every token: read to
  // the end, this 500,000-deep list took longer than anyone would wait.
  std::string yaml = "version: 1\nnodes: {}\noutputs:\n  o: ";
  yaml.append(500'000, '[');
  yaml.append(500'000, ']');
  const auto started = std::chrono::steady_clock::now();
  CHECK(errors_of(yaml) == Errors{"p.yaml:4:132: error: nesting is deeper than 128 levels\n"
                                  "  hint: no pipeline needs values nested this deep"});
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
}

TEST_CASE("an alias inside a deep value that repeats a deep value is still bounded") {
  // Each list is 100 deep as written; b holds a at its bottom, so its value is 200 deep. The
  // error points at the alias that made it so.
  const std::string a = std::string(100, '[') + std::string(100, ']');
  const std::string b = std::string(100, '[') + "*a" + std::string(100, ']');
  CHECK(errors_of("version: 1\nnodes: {}\noutputs:\n  a: &a " + a + "\n  b: " + b + "\n") ==
        Errors{"p.yaml:5:106: error: nesting is deeper than 128 levels"});
}

TEST_CASE("a file holds one document") {
  CHECK(errors_of("version: 1\nnodes: {}\n---\nversion: 1\nnodes: {}\n") ==
        Errors{"p.yaml:3:1: error: a second YAML document starts here; a pipeline file holds "
               "one\n  hint: remove the '---' line and what follows, or split the file"});
  // An explicit start and end of the one document are fine.
  CHECK(errors_of("---\nversion: 1\nnodes: {}\n...\n").empty());
}

TEST_CASE("empty or non-map documents") {
  CHECK(errors_of("") == Errors{"p.yaml:1:1: error: the pipeline is empty\n"
                                "  hint: start with 'version: 1' and a 'nodes:' map"});
  CHECK(errors_of("- a\n- b\n") ==
        Errors{"p.yaml:1:1: error: a pipeline must be a map with 'version' and 'nodes', got "
               "a list"});
  CHECK(errors_of("name: x\n") == Errors{"p.yaml:1:1: error: the pipeline has no 'version'\n"
                                         "  hint: add 'version: 1' at the top",
                                         "p.yaml:1:1: error: the pipeline has no 'nodes'\n"
                                         "  hint: add a 'nodes:' map of node ids to nodes"});
}

TEST_CASE("version must be the integer 1") {
  CHECK(errors_of("version: 2\nnodes: {}\n") == Errors{"p.yaml:1:10: error: unsupported version 2\n"
                                                       "  hint: this Sluice reads 'version: 1'"});
  CHECK(errors_of("version: \"1\"\nnodes: {}\n") ==
        Errors{"p.yaml:1:10: error: 'version' must be the integer 1, got '1'"});
}

TEST_CASE("unknown top-level key") {
  CHECK(errors_of("version: 1\nnodse: {}\nnodes: {}\n") ==
        Errors{"p.yaml:2:1: error: unknown key 'nodse' at the top level\n"
               "  hint: did you mean 'nodes'? allowed keys: version, name, description, "
               "inputs, nodes, outputs, triggers, concurrency, on_restart"});
  CHECK(errors_of("version: 1\nnodes: {}\nsteps: {}\n") ==
        Errors{"p.yaml:3:1: error: unknown key 'steps' at the top level\n"
               "  hint: allowed keys: version, name, description, inputs, nodes, outputs, "
               "triggers, concurrency, on_restart"});
}

TEST_CASE("unknown node key") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  a:
    type: core.delay
    neds: [b]
    with: { ms: 1 }
)yaml") == Errors{"p.yaml:5:5: error: unknown key 'neds' in node 'a'\n"
                  "  hint: did you mean 'needs'? allowed keys: type, description, with, needs, "
                  "if, for_each, concurrency, retry, timeout, on_error"});
}

TEST_CASE("missing type is reported at the node's map") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  a:
    with: { ms: 1 }
  b: { description: no type here }
)yaml") == Errors{"p.yaml:4:5: error: node 'a' has no 'type'\n"
                  "  hint: add 'type:' with a node type such as core.template",
                  "p.yaml:5:6: error: node 'b' has no 'type'\n"
                  "  hint: add 'type:' with a node type such as core.template"});
}

TEST_CASE("an empty type is reported where it is written") {
  // Found by fuzz_loader: a tag on nothing (`!ore.template`) made an empty type that no one
  // reported, and `sluice graph` dereferenced the missing type.
  CHECK(errors_of(R"yaml(version: 1
nodes:
  a: { type: "" }
  b:
    type: !ore.template
    with: { template: x }
)yaml") == Errors{"p.yaml:3:14: error: the 'type' of node 'a' is empty\n"
                  "  hint: use a node type such as core.template (`sluice nodes` lists them)",
                  "p.yaml:5:11: error: the 'type' of node 'b' is empty\n"
                  "  hint: use a node type such as core.template (`sluice nodes` lists them)"});
}

TEST_CASE("duplicate ids and keys") {
  CHECK(errors_of(R"yaml(version: 1
nodes:
  a: { type: core.delay, with: { ms: 1 } }
  a: { type: core.delay, with: { ms: 2, ms: 3 } }
  b: { type: core.delay, type: core.template, with: { ms: 1 } }
)yaml") == Errors{"p.yaml:4:3: error: duplicate node id 'a'\n  hint: first defined on line 3",
                  "p.yaml:5:26: error: duplicate key 'type'\n  hint: first defined on line 5"});
  CHECK(errors_of("version: 1\nnodes: {}\nversion: 1\n") ==
        Errors{"p.yaml:3:1: error: duplicate key 'version'\n  hint: first defined on line 1"});
}

TEST_CASE("integers beyond 64 bits") {
  CHECK(errors_of("version: 1\nnodes:\n  a: { type: core.delay, with: { ms: 99999999999999999999 } "
                  "}\n") ==
        Errors{"p.yaml:3:38: error: integer 99999999999999999999 does not fit in 64 bits\n"
               "  hint: quote it to keep it as text",
               "p.yaml:3:38: error: setting 'ms' of core.delay expects integer, got number"});
}

// ---- scalars -------------------------------------------------------------------------------

TEST_CASE("plain scalars follow the YAML 1.2 core schema; quoted ones stay strings") {
  std::vector<Diagnostic> diagnostics;
  const PipelineSpec spec = parse_pipeline_yaml(R"yaml(version: 1
nodes:
  a:
    type: core.echo
    with:
      value: [~, null, "", true, False, "true", 42, -7, 0x1F, 0o17, "42", 1.5, -.5e3, .inf,
              -.Inf, .nan, 1_000, 0x, yes, 12:30, !!str 5, 'quoted', 9223372036854775807,
              -9223372036854775808]
      block: |
        line
)yaml",
                                                "p.yaml", diagnostics);
  REQUIRE(diagnostics.empty());
  REQUIRE(spec.nodes.size() == 1);
  REQUIRE(spec.nodes[0].with.size() == 2);
  const Value& v = spec.nodes[0].with[0].value;
  CHECK(spec.nodes[0].with[0].mark == SourceMark{6, 14});
  REQUIRE(v.size() == 24);
  CHECK(v[0u].is_null());
  CHECK(v[1u].is_null());
  CHECK(v[2u] == Value(""));
  CHECK(v[3u] == Value(true));
  CHECK(v[4u] == Value(false));
  CHECK(v[5u] == Value("true"));
  CHECK((v[6u].is_int() && v[6u].as_int() == 42));
  CHECK(v[7u] == Value(-7));
  CHECK(v[8u] == Value(31));
  CHECK(v[9u] == Value(15));
  CHECK(v[10u] == Value("42"));
  CHECK((v[11u].is_double() && v[11u].as_double() == 1.5));
  CHECK(v[12u] == Value(-500.0));
  CHECK((v[13u].is_double() && v[13u].as_double() == std::numeric_limits<double>::infinity()));
  CHECK((v[14u].is_double() && v[14u].as_double() == -std::numeric_limits<double>::infinity()));
  CHECK((v[15u].is_double() && std::isnan(v[15u].as_double())));
  CHECK(v[16u] == Value("1_000"));
  CHECK(v[17u] == Value("0x"));
  CHECK(v[18u] == Value("yes"));
  CHECK(v[19u] == Value("12:30"));
  CHECK(v[20u] == Value("5"));
  CHECK(v[21u] == Value("quoted"));
  CHECK(v[22u] == Value(std::numeric_limits<std::int64_t>::max()));
  CHECK(v[23u] == Value(std::numeric_limits<std::int64_t>::min()));
  CHECK(spec.nodes[0].with[1].value == Value("line\n"));
}

TEST_CASE("the loader records every position") {
  std::vector<Diagnostic> diagnostics;
  const PipelineSpec spec = parse_pipeline_yaml(example, "greet.yaml", diagnostics);
  REQUIRE(diagnostics.empty());
  CHECK(spec.file == "greet.yaml");
  CHECK(spec.name == "greet");
  CHECK(spec.description == "optional text");
  REQUIRE(spec.inputs.size() == 1);
  CHECK(spec.inputs[0].name == "who");
  CHECK(spec.inputs[0].mark == SourceMark{5, 3});
  CHECK(spec.inputs[0].type == "string");
  CHECK(spec.inputs[0].type_mark == SourceMark{5, 16});
  CHECK(spec.inputs[0].default_value == Value("world"));
  CHECK(spec.inputs[0].description == "...");
  REQUIRE(spec.nodes.size() == 4);
  const NodeDecl& shout = spec.nodes[3];
  CHECK(shout.id == "shout");
  CHECK(shout.mark == SourceMark{12, 3});
  CHECK(shout.type_mark == SourceMark{13, 11});
  REQUIRE(shout.needs.size() == 2);
  CHECK(shout.needs[1].value == Value("wait_b"));
  CHECK(shout.needs[1].mark == SourceMark{14, 21});
  REQUIRE(shout.with.size() == 1);
  CHECK(shout.with[0].mark == SourceMark{15, 23});
  REQUIRE(spec.outputs.size() == 1);
  CHECK(spec.outputs[0].name == "message");
  CHECK(spec.outputs[0].mark == SourceMark{17, 12});
}

// ---- quoting scalars in messages -----------------------------------------------------------

TEST_CASE("a scalar quoted in a message is cut short and its control bytes escaped") {
  CHECK(errors_of("version: \"" + std::string(100, 'x') + "\"\nnodes: {}\n") ==
        Errors{"p.yaml:1:10: error: 'version' must be the integer 1, got '" + std::string(60, 'x') +
               "...' (100 bytes)"});
  CHECK(errors_of("version: \"a\\e[2J\"\nnodes: {}\n") ==
        Errors{"p.yaml:1:10: error: 'version' must be the integer 1, got 'a\\x1b[2J'"});
}

TEST_CASE("a tag quoted in a message is cut short too") {
  CHECK(errors_of("version: 1\nnodes: {}\noutputs:\n  o: !<" + std::string(100, 't') + "> x\n") ==
        Errors{"p.yaml:4:6: error: unsupported YAML tag '" + std::string(60, 't') +
               "...' (100 bytes)\n  hint: only the standard tags (!!str, !!int, !!float, "
               "!!bool, !!null) are understood"});
}

// ---- limits (sluice/limits.hpp) -------------------------------------------------------------

TEST_CASE("values: nested aliases stop the load at 1,000,000 values, at the alias") {
  // Level n expands to 10^(n+1) values ("billion laughs"): the millionth is reached inside
  // l5 (line 9), through its eighth alias (column 47), and the load stops there.
  std::string yaml = "version: 1\nnodes: {}\noutputs:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= 6; ++level) {
    const std::string previous = numbered("*l", level - 1);
    yaml += numbered("  l", level) + ": " + numbered("&l", level) + " [" + previous;
    for (int i = 1; i < 10; ++i)
      yaml += ", " + previous;
    yaml += "]\n";
  }
  CHECK(errors_of(yaml) ==
        Errors{"p.yaml:9:47: error: the document is too large: it expands to more than 1000000 "
               "values\n  hint: aliases (*name) are expanded; avoid aliases of large maps or "
               "lists"});
}

namespace {

// The breach is reported at the alias that crosses the limit: in alias_bomb's list
// (`  more: [*big, *big, ...`) the n-th alias (from 1) starts at column 4 + 6n.
std::string expansion_error(std::size_t bytes, const std::string& limit, int alias) {
  return "p.yaml:8:" + std::to_string(4 + 6 * alias) +
         ": error: aliases (*name) expand the pipeline's text to more than " + limit +
         ", the limit for YAML once aliases are expanded; this alias repeats the " +
         std::to_string(bytes) +
         "-byte text at line 6, column 17\n"
         "  hint: raise the limit with --max-expanded-bytes (Limits::expanded_bytes when "
         "embedding), or repeat large values less often";
}

} // namespace

TEST_CASE("input bytes: a text over the limit is refused at 1:1 before it is parsed") {
  // Not valid YAML: had it been parsed, its syntax error would be reported.
  const std::string text = "version: 1\nnodes: { a: [1, 2\n# " + std::string(100, 'x') + "\n";
  Limits limits;
  limits.input_bytes = text.size() - 1;
  CHECK(errors_of(text, limits) ==
        Errors{"p.yaml:1:1: error: the pipeline is larger than " + std::to_string(text.size() - 1) +
               " bytes, the limit for its YAML text\n"
               "  hint: raise the limit with --max-input-bytes (Limits::input_bytes when "
               "embedding)"});
  limits.input_bytes = text.size();
  CHECK(errors_of(text, limits) ==
        Errors{"p.yaml:4:1: error: did not find expected ',' or ']' (while parsing a flow "
               "sequence that starts at line 2, column 13)"});
}

TEST_CASE("expanded bytes: an alias bomb stops at the limit, at the alias, before its copies") {
  // ~1.1 MB of YAML: a 1 MiB string and 11,000 aliases of it. Expanded, 11 GiB: the loader
  // used to copy the string for every alias until it died of std::bad_alloc (at 8 GB).
  const std::string bomb = alias_bomb(std::size_t{1} << 20, 11'000);
  CHECK(bomb.size() < 1'200'000);
  std::vector<Diagnostic> diagnostics;
  const auto started = std::chrono::steady_clock::now();
  const PipelineSpec spec = parse_pipeline_yaml(bomb, "p.yaml", diagnostics);
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].to_string() == expansion_error(std::size_t{1} << 20, "64 MiB", 63));
  // The load stopped there: nothing past the limit was built, and the compiler, given the
  // empty spec, adds nothing.
  CHECK(spec.nodes.empty());
  CHECK(errors_of(bomb).size() == 1);
  // 64 copies at most, not 11,000 (the test's budget, not a benchmark: well under a second
  // on a quiet machine in a debug build).
  CHECK(took < std::chrono::seconds(20));
}

TEST_CASE("expanded bytes: at and above the limit, and raising it") {
  // 16 aliases of 1 KiB, plus the anchored string itself and the keys.
  const std::string yaml = alias_bomb(1024, 16);
  Limits limits;
  limits.expanded_bytes = 16 * 1024;
  CHECK(errors_of(yaml, limits) == Errors{expansion_error(1024, "16 KiB", 15)});
  limits.expanded_bytes = 32 * 1024;
  CHECK(errors_of(yaml, limits).empty());
}

TEST_CASE("expanded bytes: aliased keys count too") {
  // A repeated key is also a "duplicate key" message that quotes it: it is counted first, so
  // the load stops before that message, at the second alias.
  const std::string yaml = "version: 1\nnodes:\n  a:\n    type: core.echo\n    with:\n"
                           "      value: &k \"" +
                           std::string(1000, 'k') +
                           "\"\n"
                           "      more: { *k : 1, *k : 2, *k : 3 }\n";
  Limits limits;
  limits.expanded_bytes = 2500;
  CHECK(errors_of(yaml, limits) ==
        Errors{"p.yaml:7:23: error: aliases (*name) expand the pipeline's text to more than 2500 "
               "bytes, the limit for YAML once aliases are expanded; this alias repeats the "
               "1000-byte text at line 6, column 14\n"
               "  hint: raise the limit with --max-expanded-bytes (Limits::expanded_bytes when "
               "embedding), or repeat large values less often"});
}

TEST_CASE("nodes: the loader stops at the first node past the limit") {
  const std::string yaml = R"yaml(version: 1
nodes:
  a: { type: core.template, with: { template: "{{ c.text }}" } }
  b: { type: core.delay, with: { ms: 1 } }
  c: { type: core.template, with: { template: x } }
)yaml";
  Limits limits;
  limits.nodes = 2;
  // Only the limit: node a's reference to c (never read) is not reported as unknown.
  CHECK(errors_of(yaml, limits) ==
        Errors{"p.yaml:5:3: error: the pipeline has more than 2 nodes, the limit for one pipeline\n"
               "  hint: raise the limit with --max-nodes (Limits::nodes when embedding)"});
  limits.nodes = 3;
  CHECK(errors_of(yaml, limits).empty());
}

TEST_CASE("names, types and descriptions must be text; the message names whose") {
  const Errors errors = errors_of(R"yaml(version: 1
name: [a]
inputs:
  who: { type: { a: 1 }, description: [x] }
nodes:
  n: { type: [core.template], description: { a: b } }
)yaml");
  CHECK(errors == Errors{"p.yaml:2:7: error: 'name' must be text, got a list",
                         "p.yaml:4:16: error: the 'type' of input 'who' must be text, got a map",
                         "p.yaml:4:39: error: the 'description' of input 'who' must be text, got "
                         "a list",
                         "p.yaml:6:14: error: the 'type' of node 'n' must be text, got a list",
                         "p.yaml:6:44: error: the 'description' of node 'n' must be text, got a "
                         "map"});
}
