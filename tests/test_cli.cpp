// The `sluice` command as a user runs it: the example pipelines in pipelines/, exit codes,
// diagnostics, the informational commands, and the --max-* limits (an alias bomb refused in
// bounded time and memory).

#include "support/alias_bomb.hpp"
#include "support/files.hpp"

#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

using sluice::Value;
namespace fs = std::filesystem;

namespace {

struct Output {
  int status = -1;
  std::string out;
  std::string err;
};

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
  o.out = test_support::read_file(dir / "out");
  o.err = test_support::read_file(dir / "err");
  fs::remove_all(dir);
  return o;
}

std::string pipeline(const std::string& name) {
  return std::string(SLUICE_SOURCE_DIR) + "/pipelines/" + name;
}

// The sanitizers' runtimes reserve terabytes of address space for their shadow memory, so
// under an address-space cap the child could not even start: under ASan or TSan, only the cap
// and the peak resident size are skipped (the exit status, the message and the time are still
// checked).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool built_with_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool built_with_sanitizer = true;
#else
constexpr bool built_with_sanitizer = false;
#endif
#else
constexpr bool built_with_sanitizer = false;
#endif

struct Measured : Output {
  double seconds = 0;
  long peak_kib = 0; // the child's largest resident set (getrusage's ru_maxrss)
};

// Runs `sluice ARGS...` with its address space capped at `cap` bytes (setrlimit RLIMIT_AS
// in the child, before exec), and measures its time and peak resident size.
Measured run_capped(const std::vector<std::string>& args, rlim_t cap) {
  const fs::path dir = fs::temp_directory_path() / ("sluice-capped-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / "out").string();
  const std::string err = (dir / "err").string();
  std::vector<std::string> words{SLUICE_CLI};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words)
    argv.push_back(word.data());
  argv.push_back(nullptr);
  const auto started = std::chrono::steady_clock::now();
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int in_fd = open("/dev/null", O_RDONLY);
    const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
        dup2(err_fd, 2) < 0)
      _exit(126);
    if (!built_with_sanitizer) {
      const rlimit limit{cap, cap};
      if (setrlimit(RLIMIT_AS, &limit) != 0)
        _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  REQUIRE(wait4(child, &status, 0, &usage) == child);
  Measured m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  m.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  m.peak_kib = usage.ru_maxrss;
  m.out = test_support::read_file(out);
  m.err = test_support::read_file(err);
  fs::remove_all(dir);
  return m;
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

TEST_CASE("the Zoom and HTTP pipelines validate against their plugins' node types") {
  // Running them needs a Zoom connection or a server: test_zoom_demo runs the lifecycle
  // against the emulator, test_zoom_plugin the rest, test_http_plugin http_open_issues.yaml.
  const Output o =
      run_cli("validate " + pipeline("zoom_meeting_lifecycle.yaml") + " " +
              pipeline("zoom_bulk_schedule.yaml") + " " + pipeline("zoom_weekly_report.yaml") +
              " " + pipeline("zoom_cleanup.yaml") + " " + pipeline("http_open_issues.yaml"));
  INFO("stderr: " << o.err);
  CHECK(o.status == 0);
  CHECK(o.out.find("zoom_cleanup.yaml: ok") != std::string::npos);
  CHECK(o.out.find("http_open_issues.yaml: ok") != std::string::npos);

  const Output inspected = run_cli("inspect http.request");
  CHECK(inspected.status == 0);
  CHECK(inspected.out.find("Side effects: yes, none when method is GET, HEAD or OPTIONS") !=
        std::string::npos);
  CHECK(inspected.out.find("Dry run:      runs, and what it would send that could change "
                           "something is shown, not sent") != std::string::npos);
  const Output json = run_cli("inspect http.request --json");
  CHECK(Value::parse_json(json.out)["side_effects_unless"]["setting"] == Value("method"));
  CHECK(Value::parse_json(json.out)["reach"] == Value("http_only"));
  CHECK(Value::parse_json(run_cli("inspect core.template --json").out)["reach"] ==
        Value("nothing"));
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
  // The allocator the build linked (engine/cli/CMakeLists.txt), as the running binary says.
  CHECK(version.out.find(SLUICE_CLI_JEMALLOC ? "\nmalloc: jemalloc "
                                             : "\nmalloc: the C library's") != std::string::npos);

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
  CHECK_MESSAGE(WEXITSTATUS(status) == 0,
                "Graphviz refused the output: " << test_support::read_file(dir / "dot.err") << "\n"
                                                << dot.out);
  const std::string svg = test_support::read_file(dir / "graph.svg");
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
  const Value t = Value::parse_json(test_support::read_file(trace));
  int spans = 0;
  for (const Value& e : t["traceEvents"].as_array())
    spans += e["ph"] == Value("X");
  CHECK(spans == 4);
  fs::remove(trace);
}

// ---- limits: --max-* ------------------------------------------------------------------------

namespace {

// A directory of pipeline files for one test, removed at the end.
struct Files {
  explicit Files(const std::string& name)
      : dir(fs::temp_directory_path() / ("sluice-" + name + "-" + std::to_string(getpid()))) {
    fs::create_directories(dir);
  }
  ~Files() { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name, std::ios::binary) << text;
    return (dir / name).string();
  }
  fs::path dir;
};

} // namespace

TEST_CASE("validate shows each pipeline's triggers and refuses a webhook path served twice") {
  const fs::path dir =
      fs::temp_directory_path() / ("sluice-cli-triggers-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string body =
      "version: 1\nnodes:\n  x: { type: core.template, with: { template: hi } }\n"
      "triggers:\n"
      "  - schedule: { cron: \"0 9 29 2 *\", timezone: America/New_York }\n"
      "  - webhook: { path: /hooks/standup, auth: none }\n";
  std::ofstream(dir / "a.yaml") << body;
  std::ofstream(dir / "b.yaml") << body;
  const Output one = run_cli("validate " + (dir / "a.yaml").string());
  CHECK(one.status == 0);
  // The next 29 February at 9:00 in New York (EST, UTC-5) after today.
  const auto now = std::chrono::system_clock::now();
  int year = static_cast<int>(
      std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(now)).year());
  while (!std::chrono::year(year).is_leap() ||
         std::chrono::sys_days(std::chrono::year(year) / 2 / 29) + std::chrono::hours(14) <= now)
    ++year;
  CHECK(one.out == (dir / "a.yaml").string() + ": ok (1 node; schedule 0 9 29 2 * " +
                       "(America/New_York), next " + std::to_string(year) +
                       "-02-29T14:00:00Z; webhook /hooks/standup)\n");

  const Output both =
      run_cli("validate " + (dir / "a.yaml").string() + " " + (dir / "b.yaml").string());
  CHECK(both.status == 2);
  CHECK(both.err == (dir / "b.yaml").string() + ":6:22: error: webhook path '/hooks/standup' " +
                        "is also served by " + (dir / "a.yaml").string() + ":6:22\n" +
                        "  hint: pipelines served together need paths of their own\n");
  fs::remove_all(dir);
}

TEST_CASE("validate refuses a 1 MB alias bomb at once, in bounded memory") {
  // A 1 MiB string aliased 11,000 times: 11 GiB once expanded. Before the expanded-bytes
  // limit the loader copied it for every alias and died of std::bad_alloc at about 8 GB
  // (53 s to reach 3 GiB on the 2-core machines we build on).
  Files files("bomb");
  const std::string bomb =
      files.write("bomb.yaml", test_support::alias_bomb(std::size_t{1} << 20, 11'000));
  CHECK(fs::file_size(bomb) < 1'200'000);
  const Measured o = run_capped({"validate", bomb}, rlim_t{1} << 30);
  INFO("stderr: " << o.err);
  CHECK(o.status == 2);
  CHECK(o.err ==
        bomb +
            ":8:382: error: aliases (*name) expand the pipeline's text to more than 64 MiB, "
            "the limit for YAML once aliases are expanded; this alias repeats the "
            "1048576-byte text at line 6, column 17\n"
            "  hint: raise the limit with --max-expanded-bytes (Limits::expanded_bytes "
            "when embedding), or repeat large values less often\n1 error in " +
            bomb + "\n");
  // A budget, not a benchmark: well under a second in a debug build on a quiet machine.
  CHECK(o.seconds < 20);
  // The 1 MiB string, at most 64 copies of it, and the document's tree.
  if (!built_with_sanitizer)
    CHECK(o.peak_kib < 256 * 1024);
}

namespace {

// Pipelines of about 1 MB, each of a shape that makes a parser build many small things.
std::vector<std::pair<std::string, std::string>> one_megabyte_shapes() {
  constexpr std::size_t size = 1'000'000;
  const std::string head = "version: 1\nnodes: {}\noutputs:\n  o: ";
  std::vector<std::pair<std::string, std::string>> shapes;
  std::string ones = head + "[1";
  while (ones.size() < size)
    ones += ",1";
  shapes.emplace_back("ones", ones + "]\n");
  std::string keys = head + "{k0: 1";
  for (int i = 1; keys.size() < size; ++i)
    keys += ", k" + std::to_string(i) + ": 1";
  shapes.emplace_back("keys", keys + "}\n");
  std::string deep = head;
  deep.append(size / 2, '[');
  deep.append(size / 2, ']');
  shapes.emplace_back("deep", deep + "\n");
  std::string aliases = "version: 1\nnodes: {}\noutputs:\n  a: &a {x: [1, 2, 3, 4, 5, 6, 7, 8]}"
                        "\n  o: [*a";
  while (aliases.size() < size)
    aliases += ",*a";
  shapes.emplace_back("aliases", aliases + "]\n");
  std::string nodes = "version: 1\nnodes:\n";
  for (int i = 0; nodes.size() < size; ++i)
    nodes += "  n" + std::to_string(i) + ": {type: core.template, with: {template: x}}\n";
  shapes.emplace_back("nodes", nodes);
  return shapes;
}

} // namespace

TEST_CASE("a 1 MB pipeline of any shape is read in bounded time and memory") {
  // Before libyaml's events replaced yaml-cpp's node tree (~480 bytes per value), the
  // 500,000 ones took 250 MB and 2 s, and the 500,000-deep list would have taken hours in the
  // scanner had its depth not been checked as it was read.
  Files files("megabyte");
  for (const auto& [name, text] : one_megabyte_shapes()) {
    INFO(name);
    const std::string file = files.write(name + ".yaml", text);
    const Measured o = run_capped({"validate", file}, rlim_t{1} << 30);
    INFO("stderr: " << o.err.substr(0, 300));
    // A clear answer either way: valid, or refused with a position and a limit.
    CHECK((o.status == 0 || o.status == 2));
    if (o.status == 2)
      CHECK(o.err.starts_with(file + ":"));
    // A budget, not a benchmark: under a second each in a debug build on a quiet machine.
    CHECK(o.seconds < 20);
    if (!built_with_sanitizer)
      CHECK(o.peak_kib < 200 * 1024);
  }
}

TEST_CASE("--max-input-bytes: a file past the limit is refused at 1:1 without being read whole") {
  Files files("input");
  const std::string big =
      files.write("big.yaml", "version: 1\nnodes: {}\n# " + std::string(9 << 20, 'x') + "\n");
  const Output refused = run_cli("validate " + big);
  CHECK(refused.status == 2);
  CHECK(refused.err == big +
                           ":1:1: error: the pipeline is larger than 8 MiB, the limit for its YAML "
                           "text\n  hint: raise the limit with --max-input-bytes "
                           "(Limits::input_bytes when embedding)\n1 error in " +
                           big + "\n");
  CHECK(run_cli("validate --max-input-bytes 16MiB " + big).status == 0);
  CHECK(run_cli("run -q --max-input-bytes 10MB " + big).status == 0);
  CHECK(run_cli("graph --max-input-bytes 9500000 " + big).status == 0);
  // 0, a negative size and an unknown unit are usage errors.
  CHECK(run_cli("validate --max-input-bytes 0 " + big).status == 2);
  CHECK(run_cli("validate --max-input-bytes -1 " + big).status == 2);
  CHECK(run_cli("validate --max-input-bytes 9parsecs " + big).status == 2);
}

TEST_CASE("--max-expanded-bytes, --max-nodes and --max-template-bytes on validate, run, graph") {
  Files files("load-limits");
  // 100 aliases of 1 KiB: about 101 KiB once expanded.
  const std::string aliases = files.write("aliases.yaml", test_support::alias_bomb(1024, 100));
  const Output expanded = run_cli("validate --max-expanded-bytes 64KiB " + aliases);
  CHECK(expanded.status == 2);
  CHECK(expanded.err.starts_with(aliases +
                                 ":8:382: error: aliases (*name) expand the pipeline's text "
                                 "to more than 64 KiB,"));
  CHECK(run_cli("validate " + aliases).status == 0);

  const std::string three = files.write("three.yaml", R"(version: 1
nodes:
  a: { type: core.template, with: { template: "{{ b.text }} and {{ c.text }}" } }
  b: { type: core.template, with: { template: b } }
  c: { type: core.template, with: { template: c } }
)");
  for (const char* command : {"validate", "run -q", "graph"}) {
    INFO(command);
    const Output nodes = run_cli(std::string(command) + " --max-nodes 2 " + three);
    CHECK(nodes.status == 2);
    CHECK(nodes.err == three +
                           ":5:3: error: the pipeline has more than 2 nodes, the limit for one "
                           "pipeline\n  hint: raise the limit with --max-nodes (Limits::nodes "
                           "when embedding)\n1 error in " +
                           three + "\n");
    CHECK(run_cli(std::string(command) + " --max-nodes 3 " + three).status == 0);

    const Output long_template =
        run_cli(std::string(command) + " --max-template-bytes 20 " + three);
    CHECK(long_template.status == 2);
    CHECK(long_template.err.starts_with(three + ":3:47: error: the template in setting "
                                                "'template' is 29 bytes long, more than 20 "
                                                "bytes, the limit for one template"));
    CHECK(run_cli(std::string(command) + " --max-template-bytes 29 " + three).status == 0);
  }
}

TEST_CASE("--max-for-each-items and --max-output-bytes on run") {
  Files files("run-limits");
  const std::string each = files.write("each.yaml", R"(version: 1
inputs: { names: { type: array }, text: { type: string, default: "" } }
nodes:
  each: { type: core.template, for_each: "{{ inputs.names }}", with: { template: "{{ item }}" } }
  twice: { type: core.template, with: { template: "{{ inputs.text }}{{ inputs.text }}" } }
)");
  const std::string three = " --input 'names=[\"a\",\"b\",\"c\"]'";
  const Output items = run_cli("run -q --max-for-each-items 2 " + each + three);
  CHECK(items.status == 1);
  CHECK(items.err == "sluice: node 'each' failed: 'for_each' has 3 items, more than 2 items, the "
                     "limit for one list; raise the limit with --max-for-each-items "
                     "(Limits::for_each_items when embedding)\n");
  CHECK(run_cli("run -q --max-for-each-items 3 " + each + three).status == 0);

  // `twice` outputs {text: 2,000 bytes}: about 2 KiB.
  const std::string text = three + " --input text=" + std::string(1000, 'x');
  const Output output = run_cli("run -q --json --max-output-bytes 1KiB " + each + text);
  CHECK(output.status == 1);
  const Value result = Value::parse_json(output.out);
  CHECK(result["nodes"][1]["category"] == Value("permanent"));
  CHECK(result["nodes"][1]["message"] ==
        Value("the output is larger than 1 KiB, the limit for one node's output; raise the limit "
              "with --max-output-bytes (Limits::output_bytes when embedding)"));
  CHECK(run_cli("run -q " + each + text).status == 0);
  // Only `run` runs nodes: the run-time limits are not options of validate.
  CHECK(run_cli("validate --max-output-bytes 1KiB " + each).status == 2);
}

namespace {

// Whether `text` holds a byte a terminal could obey: a C0 control other than newline, or DEL.
bool has_raw_control_byte(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && byte != '\n') || byte == 0x7f;
  });
}

} // namespace

TEST_CASE("what the input says reaches the terminal escaped, never as control bytes") {
  Files files("control");
  // Escapes in a node id, a type, a setting name, an input's name and type, and a template.
  const std::string bad =
      files.write("bad.yaml", "version: 1\nnodes:\n  \"a\\e[31mb\":\n"
                              "    type: \"core.t\\e[2Jx\"\n"
                              "  c:\n    type: core.template\n"
                              "    with: { template: \"{{ zz\\e[1m.x }}\", "
                              "\"bad\\u0001\": 2 }\n"
                              "inputs:\n  \"in\\u0002\": { type: \"str\\u0003\" }\n");
  const Output validated = run_cli("validate " + bad);
  CHECK(validated.status == 2);
  CHECK_FALSE(has_raw_control_byte(validated.err));
  CHECK(validated.err.find("unknown node type 'core.t\\x1b[2Jx'") != std::string::npos);
  CHECK(validated.err.find("input 'in\\x02' has unknown type 'str\\x03'") != std::string::npos);

  // A run's failure message carries an input's text: escaped in the progress lines and the
  // summary alike (the --json output escapes it as JSON does).
  const std::string failing =
      files.write("fail.yaml", "version: 1\ninputs:\n  m: { type: string }\nnodes:\n"
                               "  f: { type: core.fail, with: { message: \"{{ inputs.m }}\" } }\n");
  const Output ran = run_cli("run " + failing + " --input 'm=bad\x1b[31mred'");
  CHECK(ran.status == 1);
  CHECK_FALSE(has_raw_control_byte(ran.err));
  CHECK(ran.err.find("error: node 'f' failed: bad\\x1b[31mred") != std::string::npos);
}

// ---- sluice test ----------------------------------------------------------------------------

namespace {

const char* const tested_pipeline = R"(version: 1
inputs: { who: { type: string, default: world } }
nodes:
  hello: { type: core.template, with: { template: "Hello, {{ inputs.who }}!" } }
  wait: { type: core.delay, with: { ms: 10000 } }
outputs: { message: "{{ hello.text }}" }
)";

const char* const passing_cases = R"(version: 1
pipeline: p.yaml
cases:
  - name: greets
    mocks: { wait: { outputs: {} } }
    expect: { outputs: { message: "Hello, world!" } }
  - name: greets Ada
    inputs: { who: Ada }
    mocks: { wait: { outputs: {} } }
    expect: { outputs: { message: { matches: "Ada" } } }
)";

} // namespace

TEST_CASE("sluice test: a line per case, a summary, and the exit status") {
  Files files("test-command");
  files.write("p.yaml", tested_pipeline);
  fs::create_directories(files.dir / "more");
  files.write("a.test.yaml", passing_cases);
  const std::string dir = files.dir.string();

  // A folder is searched recursively; every case passes: 0.
  Output o = run_cli("test " + dir);
  INFO("stdout: " << o.out << "\nstderr: " << o.err);
  CHECK(o.status == 0);
  CHECK(o.out.find("ok   " + dir + "/a.test.yaml: greets (") == 0);
  CHECK(o.out.find("ok   " + dir + "/a.test.yaml: greets Ada (") != std::string::npos);
  CHECK(o.out.find("2 passed, 0 failed (1 file, ") != std::string::npos);

  // A failing case: its differences, indented, and 1.
  files.write("more/b.test.yaml", R"(version: 1
pipeline: ../p.yaml
cases:
  - name: expects Bob
    mocks: { wait: { outputs: {} } }
    expect: { outputs: { message: "Hello, Bob!" }, status: succeeded }
)");
  o = run_cli("test " + dir);
  CHECK(o.status == 1);
  CHECK(o.out.find("FAIL " + dir + "/more/b.test.yaml: expects Bob (") != std::string::npos);
  CHECK(o.out.find("\n    outputs.message: expected \"Hello, Bob!\", got \"Hello, world!\"\n") !=
        std::string::npos);
  CHECK(o.out.find("2 passed, 1 failed (2 files, ") != std::string::npos);

  // --filter picks cases by name.
  o = run_cli("test " + dir + " --filter Ada");
  CHECK(o.status == 0);
  CHECK(o.out.find("1 passed, 0 failed (2 files, ") != std::string::npos);

  // A bad test file: its problems with positions on stderr, and 2 (even beside a failure).
  files.write("c.test.yaml", "version: 1\npipeline: p.yaml\ncases:\n  - name: x\n    mocks: { "
                             "nobody: { outputs: {} } }\n");
  o = run_cli("test " + dir);
  CHECK(o.status == 2);
  CHECK(o.err.find(dir + "/c.test.yaml:5:14: error: case 'x' mocks node 'nobody', which the "
                         "pipeline does not have") != std::string::npos);
  CHECK(o.out.find("ERROR " + dir + "/c.test.yaml: 1 problem, no case ran") != std::string::npos);

  // Nothing to test, or a path that does not exist: 2.
  CHECK(run_cli("test " + (files.dir / "more" / "nothing-here").string()).status == 2);
  fs::remove(files.dir / "a.test.yaml");
  fs::remove(files.dir / "c.test.yaml");
  fs::remove(files.dir / "more" / "b.test.yaml");
  o = run_cli("test " + dir);
  CHECK(o.status == 2);
  CHECK(o.err.find("no test files (*.test.yaml) found in " + dir) != std::string::npos);
}

TEST_CASE("sluice test --junit writes a report an XML parser accepts") {
  Files files("test-junit");
  files.write("p.yaml", tested_pipeline);
  files.write("a.test.yaml", std::string(passing_cases) + R"(  - name: fails <"&'>
    mocks: { wait: { outputs: {} } }
    expect: { outputs: { message: "\u0001 & <tag>" } }
)");
  files.write("bad.test.yaml", "version: 1\npipeline: missing.yaml\ncases: []\n");
  const fs::path report = files.dir / "report.xml";
  const Output o = run_cli("test " + files.dir.string() + " --junit " + report.string());
  CHECK(o.status == 2);
  const std::string xml = test_support::read_file(report);
  INFO(xml);
  // A real parser (xmllint, Debian's libxml2-utils) must accept it...
  CHECK(std::system(("xmllint --noout " + report.string()).c_str()) == 0);
  // ...and it says what happened: 3 cases and a bad file, 1 failure, 1 error.
  CHECK(xml.find("<testsuites name=\"sluice test\" tests=\"4\" failures=\"1\" errors=\"1\"") !=
        std::string::npos);
  CHECK(xml.find("name=\"fails &lt;&quot;&amp;&#39;&gt;\"") != std::string::npos);
  CHECK(xml.find("<failure message=\"outputs.message: expected ") != std::string::npos);
  CHECK(xml.find("<error message=\"the pipeline ") != std::string::npos);
  // No raw control byte reaches the file (XML 1.0 forbids them).
  CHECK(xml.find('\x01') == std::string::npos);
}
