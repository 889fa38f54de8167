// The `sluice` command as a user runs it: the example pipelines in pipelines/, exit codes,
// diagnostics, and the informational commands.

#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using sluice::Value;
namespace fs = std::filesystem;

namespace {

struct Output {
  int status = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `sluice ARGS` with stdin closed and captures stdout, stderr and the exit status.
Output run_cli(const std::string& args) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() /
                       ("sluice-cli-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(dir);
  const std::string command = std::string(SLUICE_CLI) + " " + args + " </dev/null >" +
                              (dir / "out").string() + " 2>" + (dir / "err").string();
  const int raw = std::system(command.c_str());
  Output o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  o.out = slurp(dir / "out");
  o.err = slurp(dir / "err");
  fs::remove_all(dir);
  return o;
}

std::string pipeline(const std::string& name) {
  return std::string(SLUICE_SOURCE_DIR) + "/pipelines/" + name;
}

Value run_json(const std::string& args) {
  const Output o = run_cli("run " + args + " --json --quiet");
  INFO("stderr: " << o.err);
  REQUIRE(o.status == 0);
  return Value::parse_json(o.out);
}

} // namespace

TEST_CASE("pipelines/hello.yaml greets, with defaults and with --input") {
  Value r = run_json(pipeline("hello.yaml"));
  CHECK(r["status"] == Value("succeeded"));
  CHECK(r["outputs"]["message"] == Value("Hello, world! (after both waits)"));
  r = run_json(pipeline("hello.yaml") + " --input who=Ada");
  CHECK(r["outputs"]["message"] == Value("Hello, Ada! (after both waits)"));

  const Output plain = run_cli("run " + pipeline("hello.yaml") + " -q -i who=Grace");
  CHECK(plain.status == 0);
  CHECK(plain.out == "message: Hello, Grace! (after both waits)\n");
}

TEST_CASE("the Zoom pipelines validate against the Zoom plugin's node types") {
  // Running them needs a Zoom connection: test_zoom_demo runs the lifecycle against the
  // emulator, test_zoom_plugin the rest.
  const Output o =
      run_cli("validate " + pipeline("zoom_meeting_lifecycle.yaml") + " " +
              pipeline("zoom_bulk_schedule.yaml") + " " + pipeline("zoom_weekly_report.yaml") +
              " " + pipeline("zoom_cleanup.yaml"));
  INFO("stderr: " << o.err);
  CHECK(o.status == 0);
  CHECK(o.out.find("zoom_cleanup.yaml: ok") != std::string::npos);
}

TEST_CASE("pipelines/parallel_branches.yaml joins three branches") {
  const Value r = run_json(pipeline("parallel_branches.yaml"));
  const Value lines = r["outputs"]["lines"];
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == Value("order 1042: tea and scones"));
  CHECK(lines[1] == Value("Ada is a gold customer"));
  CHECK(lines[2] == Value("stock checked in 600 ms, priced in 300 ms"));
  CHECK(r["outputs"]["items"] == Value::parse_json(R"(["tea","scones"])"));
}

TEST_CASE("pipelines/for_each.yaml keeps input order") {
  const Value r =
      run_json(pipeline("for_each.yaml") + R"( --input 'names=["Ada","Grace","Linus"]')");
  CHECK(r["outputs"]["greetings"] ==
        Value::parse_json(
            R"([{"text":"0: hello, Ada"},{"text":"1: hello, Grace"},{"text":"2: hello, Linus"}])"));
  CHECK(r["outputs"]["first"] == Value("0: hello, Ada"));
}

TEST_CASE("pipelines/retry_and_fallback.yaml retries, tolerates and falls back") {
  Value r = run_json(pipeline("retry_and_fallback.yaml"));
  CHECK(r["outputs"]["fetched_on_attempt"] == Value(3));
  CHECK(r["outputs"]["record"] == Value("record from the fallback source"));
  const auto find = [&](std::string_view id) {
    for (const Value& n : r["nodes"].as_array())
      if (n["id"].as_string() == id)
        return n;
    return Value();
  };
  CHECK(find("flaky_fetch")["attempts"] == Value(3));
  CHECK(find("primary_source")["status"] == Value("failed"));
  CHECK(find("send_report")["status"] == Value("skipped"));

  r = run_json(pipeline("retry_and_fallback.yaml") + " --input send_report=true");
  CHECK(find("send_report")["status"] == Value("succeeded"));
}

TEST_CASE("exit codes: 1 when the pipeline fails, 2 for usage and validation errors") {
  const fs::path dir = fs::temp_directory_path() / ("sluice-cli-files-" + std::to_string(getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "fails.yaml") << "version: 1\nnodes:\n  boom: { type: core.fail, with: "
                                         "{ message: it broke, category: permission } }\n";
    std::ofstream(dir / "invalid.yaml") << "version: 1\nnodes:\n  a: { type: core.templat }\n";
  }
  const Output failed = run_cli("run " + (dir / "fails.yaml").string() + " -q");
  CHECK(failed.status == 1);
  CHECK(failed.err == "sluice: node 'boom' failed: it broke\n");

  const Output failed_json = run_cli("run " + (dir / "fails.yaml").string() + " -q --json");
  CHECK(failed_json.status == 1);
  CHECK(Value::parse_json(failed_json.out)["nodes"][0]["category"] == Value("permission"));

  const Output invalid = run_cli("run " + (dir / "invalid.yaml").string());
  CHECK(invalid.status == 2);
  CHECK(invalid.err.find((dir / "invalid.yaml").string() +
                         ":3:14: error: unknown node type 'core.templat'") != std::string::npos);

  const Output validate =
      run_cli("validate " + (dir / "invalid.yaml").string() + " " + pipeline("hello.yaml"));
  CHECK(validate.status == 2);
  CHECK(validate.out == pipeline("hello.yaml") + ": ok (4 nodes)\n");

  CHECK(run_cli("run " + pipeline("hello.yaml") + " --input who").status == 2);
  CHECK(run_cli("run " + pipeline("hello.yaml") + " --input nobody=1").status == 2);
  CHECK(run_cli("run /no/such/file.yaml").status == 2);
  CHECK(run_cli("frobnicate").status == 2);
  CHECK(run_cli("").status == 2);
  fs::remove_all(dir);
}

TEST_CASE("help, version, nodes, inspect and graph") {
  const Output help = run_cli("--help");
  CHECK(help.status == 0);
  CHECK(help.out.find("run") != std::string::npos);
  CHECK(run_cli("run --help").status == 0);
  const Output version = run_cli("--version");
  CHECK(version.status == 0);
  CHECK(version.out.rfind("sluice ", 0) == 0);

  const Output nodes = run_cli("nodes");
  CHECK(nodes.status == 0);
  for (const char* type :
       {"core.template", "core.json", "core.delay", "core.log", "core.fail", "core.merge"})
    CHECK(nodes.out.find(type) != std::string::npos);

  const Output inspect = run_cli("inspect core.delay --json");
  REQUIRE(inspect.status == 0);
  const Value spec = Value::parse_json(inspect.out);
  CHECK(spec["settings"][0]["name"] == Value("ms"));
  CHECK(spec["settings"][0]["required"] == Value(true));
  CHECK(spec["outputs"][0]["name"] == Value("ms"));
  CHECK(run_cli("inspect core.nope").status == 2);

  const Output dot = run_cli("graph " + pipeline("hello.yaml"));
  CHECK(dot.status == 0);
  CHECK(dot.out.find("\"wait_a\" -> \"shout\";") != std::string::npos);
  const Output mermaid = run_cli("graph --format mermaid " + pipeline("hello.yaml"));
  CHECK(mermaid.out.rfind("flowchart LR\n", 0) == 0);
}

TEST_CASE("graph: Graphviz reads the DOT output, whatever the pipeline is called") {
  // Regression: the graph name was a view of a freed string (random bytes; `dot` refused it)
  // and labels were escaped twice (a literal \n showed between id and type).
  const fs::path dir = fs::temp_directory_path() / ("sluice-dot-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "named.yaml";
  std::ofstream(file)
      << "version: 1\n"
         "name: \"a name longer than any small-string buffer, \\\"quoted\\\", "
         "with a tab\\t and a backslash at the end \\\\\"\n"
         "nodes:\n"
         "  first: { type: core.template, with: { template: x } }\n"
         "  second: { type: core.template, with: { template: \"{{ first.text }}\" } }\n";
  const Output dot = run_cli("graph " + file.string());
  REQUIRE_MESSAGE(dot.status == 0, dot.err);
  std::ofstream(dir / "graph.dot") << dot.out;
  const std::string command = "dot -Tsvg " + (dir / "graph.dot").string() + " >" +
                              (dir / "graph.svg").string() + " 2>" + (dir / "dot.err").string();
  const int status = std::system(command.c_str());
  CHECK_MESSAGE(WIFEXITED(status), "dot did not run");
  CHECK_MESSAGE(WEXITSTATUS(status) == 0, "Graphviz refused the output: " << slurp(dir / "dot.err")
                                                                          << "\n"
                                                                          << dot.out);
  const std::string svg = slurp(dir / "graph.svg");
  // The label's two lines are two text elements; no literal backslash-n between them.
  CHECK(svg.find(">first</text>") != std::string::npos);
  CHECK(svg.find(">core.template</text>") != std::string::npos);
  CHECK(svg.find("\\n") == std::string::npos);
  CHECK(svg.find("&lt;title&gt;a name longer than any small") ==
        std::string::npos); // not doubly escaped
  CHECK(svg.find("<title>a name longer than any small") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("--trace writes a Chrome trace") {
  const fs::path trace = fs::temp_directory_path() / ("sluice-trace-" + std::to_string(getpid()));
  const Output o = run_cli("run " + pipeline("hello.yaml") + " -q --trace " + trace.string());
  REQUIRE(o.status == 0);
  const Value t = Value::parse_json(slurp(trace));
  int spans = 0;
  for (const Value& e : t["traceEvents"].as_array())
    spans += e["ph"] == Value("X");
  CHECK(spans == 4);
  fs::remove(trace);
}
