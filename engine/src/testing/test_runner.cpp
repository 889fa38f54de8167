// run_test_file (sluice/pipeline_tests.hpp): a test file's cases checked against its pipeline,
// then run, each run's result compared with what the case expects.

#include "test_file.hpp"
#include "value_diff.hpp"

#include "../cassette/player.hpp"
#include "../file_text.hpp"
#include "../suggest.hpp"

#include <sluice/cassette.hpp>
#include <sluice/engine.hpp>
#include <sluice/pipeline_tests.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace sluice {

namespace {

using detail::ExpectedNode;
using detail::ExpectedOutput;
using detail::TestCaseDecl;
using detail::TestFileDecl;
using detail::ValueMatcher;

std::vector<std::string> names_of(const std::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

std::string did_you_mean_one_of(std::string_view name, const std::vector<std::string>& known,
                                std::string_view what) {
  detail::NearestName nearest(name);
  for (const std::string& candidate : known)
    nearest.consider(candidate);
  return detail::did_you_mean(nearest.best(),
                              known.empty() ? "the pipeline has no " + std::string(what)
                                            : std::string(what) + ": " + detail::join_names(known));
}

// What a test file names must exist in its pipeline: nodes (mocked or expected), their
// declared outputs, inputs and outputs.
void check_against_pipeline(const Engine& engine, const Pipeline& pipeline,
                            const TestFileDecl& decl, std::vector<Diagnostic>& problems) {
  const std::vector<std::string> nodes = names_of(pipeline.node_ids());
  const std::vector<std::string> outputs = names_of(pipeline.output_names());
  std::vector<std::string> inputs;
  for (const InputInfo& input : pipeline.inputs())
    inputs.push_back(input.name);
  auto has = [](const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  auto problem = [&](SourceMark mark, std::string message, std::string hint) {
    problems.push_back(Diagnostic{decl.file, mark, std::move(message), std::move(hint)});
  };
  for (const TestCaseDecl& c : decl.cases) {
    if (c.inputs.is_object())
      for (const auto& [name, value] : c.inputs.as_object())
        if (!has(inputs, name))
          problem(c.inputs_mark,
                  "case '" + c.name + "' gives input '" + name +
                      "', which the pipeline does not declare",
                  did_you_mean_one_of(name, inputs, "inputs"));
    for (const detail::MockDecl& m : c.mocks) {
      if (!has(nodes, m.node)) {
        problem(m.mark,
                "case '" + c.name + "' mocks node '" + m.node +
                    "', which the pipeline does not have",
                did_you_mean_one_of(m.node, nodes, "nodes"));
        continue;
      }
      if (!m.outputs_mark)
        continue;
      const std::string type(pipeline.node_type(m.node));
      const NodeSpec* spec = engine.find_node_type(type);
      if (!spec || spec->outputs.empty())
        continue; // a type that declares no outputs may output anything
      std::vector<std::string> declared;
      for (const OutputSpec& o : spec->outputs)
        declared.push_back(o.name);
      const auto check_fields = [&](const Value& output) {
        if (!output.is_object())
          return;
        for (const auto& [field, value] : output.as_object())
          if (!has(declared, field))
            problem(*m.outputs_mark,
                    "the mock of node '" + m.node + "' (" + type + ") gives output '" + field +
                        "', which " + type + " does not have",
                    did_you_mean_one_of(field, declared, "its outputs"));
      };
      if (m.mock.output.is_array())
        for (const Value& element : m.mock.output.as_array())
          check_fields(element);
      else if (m.mock.output.is_object())
        check_fields(m.mock.output);
      else
        problem(*m.outputs_mark,
                "the mock of node '" + m.node +
                    "' must give its outputs as a map (or, for a "
                    "for_each node, a list of maps)",
                {});
    }
    for (const ExpectedNode& e : c.expect_nodes)
      if (!has(nodes, e.id))
        problem(e.mark,
                "case '" + c.name + "' expects node '" + e.id +
                    "', which the pipeline does not have",
                did_you_mean_one_of(e.id, nodes, "nodes"));
    for (const ExpectedOutput& e : c.expect_outputs)
      if (!has(outputs, e.name))
        problem(e.mark,
                "case '" + c.name + "' expects output '" + e.name +
                    "', which the pipeline does not have",
                did_you_mean_one_of(e.name, outputs, "outputs"));
  }
}

std::string status_of(const NodeResult& node) {
  return node.mocked && node.status == NodeStatus::succeeded ? "mocked"
                                                             : std::string(to_string(node.status));
}

// Compares one run's result with a case's expectations.
std::vector<std::string> compare(const TestCaseDecl& c, const RunResult& result) {
  std::vector<std::string> differences;
  if (c.expect_status && *c.expect_status != to_string(result.status)) {
    std::string line =
        "status: expected " + *c.expect_status + ", got " + std::string(to_string(result.status));
    if (!result.error.empty())
      line += " (" + result.error + ")";
    differences.push_back(std::move(line));
  }
  for (const ExpectedNode& e : c.expect_nodes) {
    const NodeResult* node = result.node(e.id);
    if (!node)
      continue;
    const std::string actual = status_of(*node);
    // "mocked" holds for a mocked node whatever its mock made of it; "failed" and the rest
    // hold for a mocked node too when that is what it did.
    const bool holds = e.status == actual || (e.status == "mocked" && node->mocked) ||
                       (e.status == "succeeded" && actual == "mocked");
    if (!holds) {
      std::string line = "nodes." + e.id + ": expected " + e.status + ", got " + actual;
      if (!node->message.empty())
        line += " (" + node->message + ")";
      differences.push_back(std::move(line));
    }
  }
  for (const ExpectedOutput& e : c.expect_outputs) {
    const Value* actual = result.outputs.is_object() ? result.outputs.find(e.name) : nullptr;
    if (!actual) {
      differences.push_back(
          "outputs." + e.name + ": expected " + detail::describe_expectation(e.matcher) +
          ", but the run produced no outputs (it " + std::string(to_string(result.status)) + ")");
      continue;
    }
    if (auto difference = detail::mismatch(e.matcher, *actual))
      differences.push_back("outputs." + e.name + ": " + *difference);
  }
  return differences;
}

// What the cases of one file share: the pipeline as it is now, to tell a stale cassette.
struct FileContext {
  std::string pipeline_file;
  std::string pipeline_sha256;
  std::vector<std::pair<std::string, std::string>> plugins;
  bool rerecord = false;
  // Cassettes recorded again by this run (rerecord runs its cases one at a time).
  std::vector<std::string> rerecorded;
};

// A case's cassette as loaded before the cases ran.
struct CaseCassette {
  std::string file;
  Cassette cassette;
};

// Why `cassette` no longer fits the pipeline and plugins the case runs with, or "".
std::string staleness(const CaseCassette& loaded, const FileContext& context) {
  std::vector<std::string> reasons;
  if (loaded.cassette.pipeline_sha256 != context.pipeline_sha256)
    reasons.push_back("the pipeline changed since it was recorded");
  for (const auto& recorded : loaded.cassette.plugins) {
    // (Not a structured binding: clang 14 does not let a lambda capture one.)
    const std::string& name = recorded.first;
    const std::string& version = recorded.second;
    const auto now = std::find_if(context.plugins.begin(), context.plugins.end(),
                                  [&](const auto& plugin) { return plugin.first == name; });
    if (now == context.plugins.end())
      reasons.push_back("plugin '" + name + "' (" + version + " when recorded) is not loaded");
    else if (now->second != version)
      reasons.push_back("plugin '" + name + "' was " + version + " when recorded, is " +
                        now->second + " now");
  }
  if (reasons.empty())
    return {};
  std::string text = "cassette " + loaded.file + " is stale: " + reasons[0];
  for (std::size_t i = 1; i < reasons.size(); ++i)
    text += "; " + reasons[i];
  return text + ". Record it again: sluice run " + context.pipeline_file + " --record DIR";
}

// One call a line, for the line diff.
std::string call_list(const std::vector<std::string>& calls) {
  if (calls.empty())
    return "(no request)";
  std::string text;
  for (const std::string& call : calls)
    text += call + "\n";
  text.pop_back();
  return text;
}

std::optional<std::string> calls_difference(const TestCaseDecl& c,
                                            std::vector<std::string> actual) {
  std::vector<std::string> expected = *c.expect_calls;
  if (c.calls_any_order) {
    std::sort(expected.begin(), expected.end());
    std::sort(actual.begin(), actual.end());
  }
  if (expected == actual)
    return std::nullopt;
  return std::string("calls") + (c.calls_any_order ? " (in any order)" : "") + ":\n" +
         detail::line_diff(call_list(expected), call_list(actual));
}

TestCaseResult run_case(Engine& engine, const Pipeline& pipeline, const TestCaseDecl& c,
                        const CaseCassette* loaded, FileContext& context) {
  TestCaseResult verdict;
  verdict.name = c.name;
  const auto started = std::chrono::steady_clock::now();
  const auto finish = [&] {
    verdict.passed = verdict.differences.empty();
    verdict.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return verdict;
  };
  RunOptions options;
  options.inputs = c.inputs;
  for (const detail::MockDecl& m : c.mocks)
    options.mocks.push_back(m.mock);
  std::shared_ptr<detail::CassettePlayer> player;
  std::shared_ptr<detail::CallLog> log;
  std::shared_ptr<CassetteRecorder> recorder;
  if (loaded && context.rerecord &&
      std::find(context.rerecorded.begin(), context.rerecorded.end(), loaded->file) ==
          context.rerecorded.end()) {
    // Sent for real and recorded: what is written is what this run sent and received.
    recorder = std::make_shared<CassetteRecorder>(
        [&engine]() -> CredentialStore& { return engine.credentials(); });
    options.http_interceptor = recorder;
    options.credentials = recorder->credentials();
  } else if (loaded) {
    if (std::string stale = staleness(*loaded, context); !stale.empty()) {
      verdict.differences.push_back(std::move(stale));
      return finish();
    }
    // Nothing leaves the process: the player answers or refuses every request, and the
    // connections are the cassette's, with placeholder tokens.
    player = std::make_shared<detail::CassettePlayer>(loaded->cassette);
    options.http_interceptor = player;
    options.credentials = detail::replayed_connections(loaded->cassette.connections);
  } else if (c.expect_calls) {
    log = std::make_shared<detail::CallLog>();
    options.http_interceptor = log;
  }
  try {
    const RunResult result = engine.run(pipeline, std::move(options));
    verdict.differences = compare(c, result);
  } catch (const std::exception& e) {
    verdict.differences.push_back(std::string("the run did not start: ") + e.what());
  }
  if (recorder) {
    Cassette cassette = recorder->take();
    cassette.pipeline = loaded->cassette.pipeline;
    cassette.pipeline_sha256 = context.pipeline_sha256;
    cassette.plugins = context.plugins;
    try {
      write_cassette(cassette, loaded->file, recorder->secrets());
      context.rerecorded.push_back(loaded->file);
    } catch (const CassetteError& e) {
      verdict.differences.push_back(std::string("the cassette was not recorded again: ") +
                                    e.what());
    }
    if (c.expect_calls) {
      std::vector<std::string> sent;
      for (const CassetteExchange& exchange : cassette.exchanges)
        sent.push_back(detail::call_of(exchange.request));
      if (auto difference = calls_difference(c, std::move(sent)))
        verdict.differences.push_back(std::move(*difference));
    }
    return finish();
  }
  if (player) {
    for (const std::string& line : player->unmatched())
      verdict.differences.push_back("request " + line);
    for (const std::string& line : player->unused())
      verdict.differences.push_back("recorded " + line);
  }
  if (c.expect_calls)
    if (auto difference = calls_difference(c, player ? player->calls() : log->calls()))
      verdict.differences.push_back(std::move(*difference));
  return finish();
}

} // namespace

TestFileResult run_test_file(Engine& engine, const std::filesystem::path& file,
                             const TestRunOptions& options) {
  TestFileResult report;
  report.file = file;
  const std::string name = file.string();
  std::string text;
  try {
    text = detail::read_at_most(file, engine.limits().input_bytes);
  } catch (const std::exception& e) {
    report.problems.push_back(Diagnostic{name, {}, e.what(), "check the path"});
    return report;
  }
  const TestFileDecl decl = detail::parse_test_file(text, name, report.problems, engine.limits());
  if (!report.problems.empty())
    return report;

  std::filesystem::path pipeline_file = decl.pipeline;
  if (pipeline_file.is_relative())
    pipeline_file = file.parent_path() / pipeline_file;
  Pipeline pipeline;
  try {
    pipeline = engine.load_file(pipeline_file);
  } catch (const LoadError& e) {
    const std::size_t n = e.diagnostics().size();
    report.problems.push_back(
        Diagnostic{name, decl.pipeline_mark,
                   "the pipeline " + pipeline_file.string() + " does not load (" +
                       std::to_string(n) + (n == 1 ? " problem" : " problems") + ", below)",
                   "fix the pipeline, or the path (relative to this test file)"});
    report.problems.insert(report.problems.end(), e.diagnostics().begin(), e.diagnostics().end());
    return report;
  }
  check_against_pipeline(engine, pipeline, decl, report.problems);
  if (!report.problems.empty())
    return report;

  FileContext context;
  context.pipeline_file = pipeline_file.string();
  context.rerecord = options.rerecord;
  // Only cassettes need the pipeline's hash and plugin versions: a file without one does not
  // read its pipeline a second time.
  const bool any_cassette = std::any_of(decl.cases.begin(), decl.cases.end(),
                                        [](const TestCaseDecl& c) { return !c.cassette.empty(); });
  if (any_cassette) {
    try {
      context.pipeline_sha256 =
          sha256_hex(detail::read_at_most(pipeline_file, engine.limits().input_bytes));
    } catch (const std::exception& e) {
      report.problems.push_back(Diagnostic{name, decl.pipeline_mark, e.what(), "check the path"});
      return report;
    }
    context.plugins = cassette_plugins(engine, pipeline);
  }
  // Cassettes are read before any case runs: one that cannot be read is the file's problem.
  std::vector<std::optional<CaseCassette>> cassettes(decl.cases.size());
  for (std::size_t i = 0; i < decl.cases.size(); ++i) {
    const TestCaseDecl& c = decl.cases[i];
    if (c.cassette.empty())
      continue;
    std::filesystem::path cassette_file = c.cassette;
    if (cassette_file.is_relative())
      cassette_file = file.parent_path() / cassette_file;
    try {
      cassettes[i] = CaseCassette{cassette_file.string(), read_cassette(cassette_file)};
    } catch (const CassetteError& e) {
      report.problems.push_back(
          Diagnostic{name, c.cassette_mark, e.what(),
                     "record it again: sluice run " + pipeline_file.string() + " --record DIR"});
    }
  }
  if (!report.problems.empty())
    return report;

  std::vector<const TestCaseDecl*> chosen;
  for (const TestCaseDecl& c : decl.cases)
    if (options.filter.empty() || c.name.find(options.filter) != std::string::npos)
      chosen.push_back(&c);
  report.cases.resize(chosen.size());
  // Cases are independent runs of one immutable Pipeline: several at a time, each verdict in
  // its own slot, so the report keeps the file's order.
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t workers =
      options.rerecord ? 1
                       : std::min<std::size_t>(chosen.size(),
                                               options.parallel == 0 ? hardware : options.parallel);
  const auto cassette_of = [&](const TestCaseDecl* c) -> const CaseCassette* {
    const auto& loaded = cassettes[static_cast<std::size_t>(c - decl.cases.data())];
    return loaded ? &*loaded : nullptr;
  };
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < chosen.size(); i = next++)
      report.cases[i] = run_case(engine, pipeline, *chosen[i], cassette_of(chosen[i]), context);
  };
  std::vector<std::jthread> threads;
  for (std::size_t i = 1; i < workers; ++i)
    threads.emplace_back(work);
  work();
  threads.clear(); // joined before the report leaves
  return report;
}

} // namespace sluice
