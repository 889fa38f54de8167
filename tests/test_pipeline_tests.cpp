// Tests for pipeline tests (sluice/pipeline_tests.hpp, engine/src/testing): the test-file
// loader's diagnostics with their positions, the checks against the pipeline, every
// expectation form passing and failing with the difference it reports, filters, and the
// line diff. Real files in a temporary folder, a real engine with the core nodes.

#include "support/files.hpp"

#include "testing/value_diff.hpp"

#include <sluice/engine.hpp>
#include <sluice/pipeline_tests.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

using namespace sluice;
namespace fs = std::filesystem;

// Lists of messages print one per line when a check fails.
namespace doctest {
template <> struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string text = "\n";
    for (const std::string& line : lines)
      text += "[" + line + "]\n";
    return String(text.c_str());
  }
};
} // namespace doctest

namespace {

const char* const greet = R"(version: 1
inputs:
  who: { type: string, default: world }
nodes:
  hello: { type: core.template, with: { template: "Hello, {{ inputs.who }}!" } }
  wait: { type: core.delay, with: { ms: 5000 } }
  shout: { type: core.template, needs: [wait], with: { template: "{{ hello.text }}" } }
  items: { type: core.json, with: { value: { list: [1, 2, 3], name: x, nested: { a: 1, b: 2 } } } }
outputs:
  message: "{{ shout.text }}"
  data: "{{ items.value }}"
)";

// A folder holding greet.yaml and the test files a case writes.
struct Folder {
  Folder()
      : path(fs::temp_directory_path() / ("sluice-pipeline-tests-" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
    test_support::write_file(path / "greet.yaml", greet);
  }
  ~Folder() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::string& text) const {
    test_support::write_file(path / name, text);
    return path / name;
  }
  fs::path path;
};

std::vector<std::string> problems_of(const TestFileResult& r, const fs::path& file) {
  std::vector<std::string> out;
  for (const Diagnostic& d : r.problems) {
    // Positions are checked relative to the file's name, which holds the temporary folder.
    // (Built by appending: GCC 12 at -O3 reports a false -Wrestrict for "t" + string.)
    const std::string text = d.to_string();
    const std::string prefix = file.string();
    std::string shown = text.starts_with(prefix) ? "t" : "";
    shown.append(text, text.starts_with(prefix) ? prefix.size() : 0);
    out.push_back(shown);
  }
  return out;
}

const std::string head = "version: 1\npipeline: greet.yaml\ncases:\n";
// Mocks the 5-second wait, which every case here would otherwise sit through.
const std::string no_wait = "    mocks: { wait: { outputs: {} } }\n";

} // namespace

TEST_CASE("the shape of a test file: each problem with its position") {
  Folder folder;
  Engine engine;
  const auto problems = [&](const std::string& text) {
    const fs::path file = folder.write("t.test.yaml", text);
    return problems_of(run_test_file(engine, file), file);
  };
  CHECK(problems("") == std::vector<std::string>{
                            "t:1:1: error: the test file is empty\n  hint: start with 'version: "
                            "1', 'pipeline: FILE' and a 'cases:' list"});
  CHECK(problems("version: 1\ncases: []\n") ==
        std::vector<std::string>{"t:1:1: error: the test file has no 'pipeline'\n  hint: add "
                                 "'pipeline: NAME.yaml', the pipeline file it tests (relative "
                                 "to this file)"});
  CHECK(problems(head + "  - name: a\n    expect: { staus: failed }\n") ==
        std::vector<std::string>{"t:5:15: error: unknown key 'staus' in 'expect'\n  hint: did "
                                 "you mean 'status'? allowed keys: status, outputs, nodes, "
                                 "calls"});
  CHECK(problems(head + "  - name: a\n    expect: { status: done }\n") ==
        std::vector<std::string>{
            "t:5:23: error: the expected 'status' must be succeeded or failed, got 'done'"});
  CHECK(problems(head + "  - name: a\n    expect: { nodes: { hello: finished } }\n") ==
        std::vector<std::string>{"t:5:31: error: unknown node status 'finished'\n  hint: one "
                                 "of: succeeded, failed, skipped, cancelled, mocked"});
  CHECK(
      problems(head + "  - name: a\n    expect: { outputs: { message: { matches: \"(\" } } }\n") ==
      std::vector<std::string>{"t:5:46: error: 'matches' is not a valid regular expression: "
                               "missing ): (\n  hint: RE2 syntax (as Perl's, without "
                               "backreferences and lookaround), searched for anywhere in the "
                               "text"});
  CHECK(problems(head + "  - name: a\n    mocks: { hello: { outputs: {}, error: x } }\n") ==
        std::vector<std::string>{
            "t:5:14: error: the mock of node 'hello' has both 'outputs' and 'error'\n  hint: a "
            "mocked node either succeeds with outputs or fails with an error"});
  CHECK(problems(head + "  - name: a\n    mocks: { hello: { error: { category: oops } } }\n") ==
        std::vector<std::string>{
            "t:5:42: error: unknown error category 'oops'\n  hint: one of: transient, "
            "rate_limited, permission, not_found, invalid_input, permanent, internal"});
  CHECK(problems(head + "  - name: a\n  - name: a\n") ==
        std::vector<std::string>{"t:5:5: error: two cases are named 'a'\n  hint: the first is "
                                 "on line 4; names pick cases (--filter), so each must be "
                                 "unique"});
  CHECK(problems(head + "  - expect: {}\n") ==
        std::vector<std::string>{
            "t:4:5: error: a case has no 'name'\n  hint: add 'name:' saying what the case checks"});
  CHECK(problems(head + "  - name: a\n    expect: { calls: GET /x }\n") ==
        std::vector<std::string>{"t:5:22: error: the expected 'calls' must be a list of "
                                 "\"METHOD /path\", or { any_order: [...] }, got 'GET /x'"});
  CHECK(problems(head + "  - name: a\n    expect: { calls: { any_order: [get /x, \"GET x\", "
                        "GET /x?a=1] } }\n") ==
        std::vector<std::string>{
            "t:5:36: error: a call must read \"METHOD /path\", got 'get /x'\n  hint: e.g. "
            "\"POST /v2/users/me/meetings\": the method in capitals, then the URL's path (no "
            "host, no query)",
            "t:5:44: error: a call must read \"METHOD /path\", got 'GET x'\n  hint: e.g. "
            "\"POST /v2/users/me/meetings\": the method in capitals, then the URL's path (no "
            "host, no query)",
            "t:5:53: error: a call must read \"METHOD /path\", got 'GET /x?a=1'\n  hint: e.g. "
            "\"POST /v2/users/me/meetings\": the method in capitals, then the URL's path (no "
            "host, no query)"});
  CHECK(problems(head + "  - name: a\n    cassette: \"\"\n") ==
        std::vector<std::string>{"t:5:15: error: 'cassette' must name a file\n  hint: a "
                                 "cassette is written by: sluice run PIPELINE --record DIR"});
  const std::vector<std::string> missing =
      problems(head + "  - name: a\n    cassette: none.json\n" + no_wait);
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].starts_with("t:5:15: error: cannot open "));
  CHECK(missing[0].find("none.json") != std::string::npos);
}

TEST_CASE("expect: calls of a case that sends no request") {
  Folder folder;
  Engine engine;
  const fs::path file = folder.write(
      "t.test.yaml", head + "  - name: none\n" + no_wait + "    expect: { calls: [] }\n" +
                         "  - name: one\n" + no_wait + "    expect: { calls: [GET /x] }\n");
  const TestFileResult result = run_test_file(engine, file);
  REQUIRE(result.problems.empty());
  REQUIRE(result.cases.size() == 2);
  CHECK(result.cases[0].passed);
  CHECK_FALSE(result.cases[1].passed);
  CHECK(result.cases[1].differences ==
        std::vector<std::string>{"calls:\n- GET /x\n+ (no request)\n"});
}

TEST_CASE("what a test file names must exist in its pipeline") {
  Folder folder;
  Engine engine;
  const fs::path file = folder.write("t.test.yaml", head + R"(  - name: a
    inputs: { whom: Ada }
    mocks: { helo: { outputs: {} }, hello: { outputs: { txt: x } } }
    expect: { outputs: { mesage: x }, nodes: { shot: succeeded } }
)");
  CHECK(problems_of(run_test_file(engine, file), file) ==
        std::vector<std::string>{
            "t:5:13: error: case 'a' gives input 'whom', which the pipeline does not declare\n"
            "  hint: did you mean 'who'? inputs: who",
            "t:6:14: error: case 'a' mocks node 'helo', which the pipeline does not have\n"
            "  hint: did you mean 'hello'? nodes: hello, wait, shout, items",
            "t:6:55: error: the mock of node 'hello' (core.template) gives output 'txt', which "
            "core.template does not have\n  hint: did you mean 'text'? its outputs: text",
            "t:7:48: error: case 'a' expects node 'shot', which the pipeline does not have\n"
            "  hint: did you mean 'shout'? nodes: hello, wait, shout, items",
            "t:7:26: error: case 'a' expects output 'mesage', which the pipeline does not have\n"
            "  hint: did you mean 'message'? outputs: message, data"});

  // A pipeline that does not load: said at the 'pipeline' key, then the pipeline's own
  // problems with their positions.
  folder.write("broken.yaml", "version: 1\nnodes:\n  a: { type: core.nothing }\n");
  const fs::path broken =
      folder.write("b.test.yaml", "version: 1\npipeline: broken.yaml\ncases: []\n");
  const TestFileResult r = run_test_file(engine, broken);
  REQUIRE(r.problems.size() == 2);
  CHECK(r.problems[0].mark == SourceMark{2, 11});
  CHECK(r.problems[0].message.find("does not load (1 problem, below)") != std::string::npos);
  CHECK(r.problems[1].file == (folder.path / "broken.yaml").string());
  CHECK(r.cases.empty());
}

TEST_CASE("expectations that hold, and the differences of those that do not") {
  Folder folder;
  Engine engine;
  const fs::path file = folder.write("t.test.yaml", head + R"(  - name: all hold
    inputs: { who: Ada }
    mocks: { wait: { outputs: {} } }
    expect:
      status: succeeded
      outputs:
        message: "Hello, Ada!"
        data: { contains: { name: x } }
      nodes: { hello: succeeded, wait: mocked, shout: succeeded }
  - name: matchers hold
    mocks: { wait: { outputs: {} } }
    expect:
      outputs: { message: { matches: "^Hello, w" } }
  - name: a list contains
    mocks: { wait: { outputs: {} }, items: { outputs: { value: [1, 2, 3] } } }
    expect:
      outputs: { data: { contains: [3, 1] } }
  - name: nothing holds
    mocks: { wait: { error: { category: transient, message: "late" } } }
    expect:
      status: succeeded
      outputs: { message: x }
      nodes: { wait: succeeded, shout: succeeded, hello: mocked }
  - name: values differ
    mocks: { wait: { outputs: {} } }
    expect:
      outputs:
        message: { contains: Bob }
        data: { list: [1, 2, 4], name: x, nested: { a: 1, b: 2 } }
)");
  const TestFileResult r = run_test_file(engine, file);
  REQUIRE(r.problems.empty());
  REQUIRE(r.cases.size() == 5);
  CHECK(r.cases[0].passed);
  CHECK(r.cases[0].differences.empty());
  CHECK(r.cases[1].passed);
  CHECK(r.cases[2].passed);
  CHECK_FALSE(r.cases[3].passed);
  CHECK(r.cases[3].differences ==
        std::vector<std::string>{
            "status: expected succeeded, got failed (node 'wait' failed: late)",
            "nodes.wait: expected succeeded, got failed (late)",
            "nodes.shout: expected succeeded, got cancelled (not started: the run failed at node "
            "'wait')",
            "nodes.hello: expected mocked, got succeeded",
            "outputs.message: expected \"x\", but the run produced no outputs (it failed)"});
  CHECK_FALSE(r.cases[4].passed);
  REQUIRE(r.cases[4].differences.size() == 2);
  CHECK(r.cases[4].differences[0] ==
        "outputs.message: expected something containing \"Bob\", got \"Hello, world!\"");
  // A list or map that differs is shown as a diff of its JSON, line by line.
  CHECK(r.cases[4].differences[1] == "outputs.data: expected (-) and actual (+) differ:\n"
                                     "  {\n"
                                     "    \"list\": [\n"
                                     "      1,\n"
                                     "      2,\n"
                                     "-     4\n"
                                     "+     3\n"
                                     "    ],\n"
                                     "    \"name\": \"x\",\n"
                                     "    \"nested\": {\n"
                                     "      \"a\": 1,\n"
                                     "      \"b\": 2\n"
                                     "    }\n"
                                     "  }\n");

  // --filter: only cases whose name contains the text, in the file's order.
  TestRunOptions only;
  only.filter = "hold";
  const TestFileResult filtered = run_test_file(engine, file, only);
  REQUIRE(filtered.cases.size() == 3);
  CHECK(filtered.cases[0].name == "all hold");
  CHECK(filtered.cases[2].name == "nothing holds");
}

TEST_CASE("a mocked node is never run: a real 5-second wait would show") {
  Folder folder;
  Engine engine;
  std::string cases = head;
  for (int i = 0; i < 8; ++i)
    cases += "  - name: case " + std::to_string(i) + "\n" + no_wait +
             "    expect: { nodes: { wait: mocked } }\n";
  const auto started = std::chrono::steady_clock::now();
  const TestFileResult r = run_test_file(engine, folder.write("t.test.yaml", cases));
  REQUIRE(r.cases.size() == 8);
  for (const TestCaseResult& c : r.cases)
    CHECK(c.passed);
  // Budget, not benchmark: had one wait run, this would take at least 5 s.
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("matches: a long output is matched in linear time, not by recursion") {
  // std::regex, used first, overflowed the stack on this (a 100,000-character text).
  Folder folder;
  Engine engine;
  const fs::path file = folder.write(
      "t.test.yaml",
      head + "  - name: a\n" + no_wait +
          "    expect: { outputs: { message: { matches: \"^(H|e|l|o|,| |w|r|d|!)*$\" } } }\n"
          "  - name: b\n" +
          no_wait + "    expect: { outputs: { message: { matches: \"(a|b)*c\" } } }\n");
  const TestFileResult r = run_test_file(engine, file);
  REQUIRE(r.cases.size() == 2);
  CHECK(r.cases[0].passed);
  CHECK(r.cases[1].differences ==
        std::vector<std::string>{
            "outputs.message: expected a match for /(a|b)*c/, got \"Hello, world!\""});
  const std::string long_text(100'000, 'a');
  std::vector<Diagnostic> problems;
  const detail::TestFileDecl decl = detail::parse_test_file(
      head + "  - name: a\n    expect: { outputs: { message: { matches: \"(a|b)*c\" } } }\n", "t",
      problems);
  REQUIRE(problems.empty());
  const detail::ValueMatcher& pattern = decl.cases.at(0).expect_outputs.at(0).matcher;
  CHECK(detail::mismatch(pattern, Value(long_text)).has_value());
  CHECK_FALSE(detail::mismatch(pattern, Value(long_text + "c")).has_value());
}

TEST_CASE("line_diff: unchanged, removed and added lines") {
  CHECK(detail::line_diff("a\nb\nc\n", "a\nc\nd\n") == "  a\n- b\n  c\n+ d\n");
  CHECK(detail::line_diff("", "x\n") == "+ x\n");
  CHECK(detail::line_diff("same\n", "same\n") == "  same\n");
}
