// `sluice run`: load, run with inputs, show progress, print outputs and a summary.

#include "commands.hpp"
#include "progress.hpp"

#include <sluice/cassette.hpp>
#include <sluice/encoding.hpp>
#include <sluice/trace.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace sluice::cli {

namespace {

// Ctrl-C and SIGTERM cancel the run cleanly; a second Ctrl-C exits at once. The signals are
// blocked in every thread and taken by one thread with sigwait, so no work happens in a
// signal handler.
class SignalCanceller {
public:
  explicit SignalCanceller(std::stop_source stop) : stop_(std::move(stop)) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGUSR1); // used to wake the waiter at exit
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
    thread_ = std::thread([this] { wait(); });
  }
  ~SignalCanceller() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  bool interrupted() const noexcept { return interrupted_; }

private:
  void wait() {
    int received = 0;
    while (!done_ && sigwait(&set_, &received) == 0) {
      if (received == SIGUSR1)
        continue;
      if (interrupted_) {
        std::cerr << "\nsluice: interrupted again, exiting now\n";
        std::_Exit(130);
      }
      interrupted_ = true;
      std::cerr << "\nsluice: cancelling the run (press Ctrl-C again to exit at once)\n";
      stop_.request_stop();
    }
  }

  std::stop_source stop_;
  sigset_t set_{};
  sigset_t previous_{};
  std::atomic<bool> done_{false};
  std::atomic<bool> interrupted_{false};
  std::thread thread_;
};

std::string format_duration(Clock::duration d) {
  const double ms = std::chrono::duration<double, std::milli>(d).count();
  if (ms < 1000)
    return fmt::format("{:.1f} ms", ms);
  return fmt::format("{:.2f} s", ms / 1000);
}

const char* status_mark(NodeStatus status, bool tolerated) {
  switch (status) {
  case NodeStatus::succeeded:
    return "ok";
  case NodeStatus::failed:
    return tolerated ? "FAILED (continued)" : "FAILED";
  case NodeStatus::skipped:
    return "skipped";
  case NodeStatus::cancelled:
    return "cancelled";
  case NodeStatus::planned:
    return "planned";
  default:
    return "pending";
  }
}

void print_summary(std::ostream& err, const RunResult& result, DryRun mode) {
  std::size_t width = 4;
  for (const NodeResult& node : result.nodes)
    width = std::max(width, node.id.size());
  err << '\n';
  for (const NodeResult& node : result.nodes) {
    std::string line =
        fmt::format("  {:<{}}  {:<9}", node.id, width, status_mark(node.status, node.tolerated));
    if (node.status == NodeStatus::succeeded || node.status == NodeStatus::failed)
      line += fmt::format("  {:>9}", format_duration(node.finished - node.started));
    if (node.attempts > 1)
      line += fmt::format("  ({} attempts)", node.attempts);
    if (!node.message.empty())
      line += "  " + printable(node.message);
    err << line << '\n';
  }
  std::size_t counts[7] = {};
  for (const NodeResult& node : result.nodes)
    ++counts[static_cast<int>(node.status)];
  std::string tally = fmt::format("{} succeeded", counts[int(NodeStatus::succeeded)]);
  for (auto [status, name] :
       {std::pair{NodeStatus::failed, "failed"}, std::pair{NodeStatus::skipped, "skipped"},
        std::pair{NodeStatus::cancelled, "cancelled"}, std::pair{NodeStatus::planned, "planned"}})
    if (counts[static_cast<int>(status)] > 0)
      tally += fmt::format(", {} {}", counts[static_cast<int>(status)], name);
  err << fmt::format("\n{} {} in {} ({})\n", mode == DryRun::off ? "run" : "dry run",
                     to_string(result.status), format_duration(result.finished - result.started),
                     tally);
  if (!result.ok())
    err << "error: " << printable(result.error) << '\n';
}

// A held-back request's URL with its query, as the client would have sent it.
std::string request_target(const HttpRequest& request) {
  if (request.query.empty())
    return request.url;
  // As the engine's HTTP client appends the query to the URL's own.
  return request.url + (request.url.find('?') == std::string::npos ? '?' : '&') +
         form_encode(request.query);
}

// A dry run's plan on stdout: what each planned node would do, then the outputs known now.
void print_plan(std::ostream& out, const RunResult& result, DryRun mode) {
  out << "Dry run" << (mode == DryRun::offline ? " (offline)" : "") << ": nothing was changed. ";
  const bool any = std::any_of(result.nodes.begin(), result.nodes.end(),
                               [](const NodeResult& n) { return n.status == NodeStatus::planned; });
  out << (any ? "A real run would:\n"
              : "Every node ran, and none tried to change anything: a real run would do the "
                "same.\n");
  std::size_t width = 4;
  for (const NodeResult& node : result.nodes)
    width = std::max(width, node.id.size());
  for (const NodeResult& node : result.nodes) {
    if (node.status != NodeStatus::planned)
      continue;
    bool sent_any = false;
    for (const PlannedRequest& planned : result.planned) {
      if (planned.node != node.id)
        continue;
      sent_any = true;
      const std::string who =
          planned.index < 0 ? planned.node : fmt::format("{}[{}]", planned.node, planned.index);
      out << fmt::format("  {:<{}}  send {} {}\n", who, width, planned.request.method,
                         printable(request_target(planned.request)));
      if (!planned.request.body.empty())
        out << fmt::format("  {:<{}}       {}\n", "", width, printable(planned.request.body));
    }
    if (!sent_any)
      out << fmt::format("  {:<{}}  {}\n", node.id, width, printable(node.message));
  }
  for (const auto& [name, value] : result.outputs.as_object())
    out << name << ": " << value.to_text() << '\n';
  for (const std::string& name : result.unknown_outputs)
    out << name << ": (known after a real run)\n";
}

Value planned_json(const RunResult& result) {
  Array planned;
  for (const PlannedRequest& entry : result.planned) {
    Object request{{"node", entry.node}};
    if (entry.index >= 0)
      request.emplace_back("index", entry.index);
    request.emplace_back("method", entry.request.method);
    request.emplace_back("url", request_target(entry.request));
    request.emplace_back("body", entry.request.body);
    planned.push_back(Value(std::move(request)));
  }
  return Value(std::move(planned));
}

Value result_json(const RunResult& result, DryRun mode) {
  Object out{{"status", std::string(to_string(result.status))}, {"outputs", result.outputs}};
  if (!result.error.empty())
    out.emplace_back("error", result.error);
  out.emplace_back("nodes", node_results_json(result));
  if (mode != DryRun::off) {
    out.emplace_back("dry_run", std::string(to_string(mode)));
    out.emplace_back("planned", planned_json(result));
    Array unknown;
    for (const std::string& name : result.unknown_outputs)
      unknown.push_back(Value(name));
    out.emplace_back("unknown_outputs", Value(std::move(unknown)));
  }
  return Value(std::move(out));
}

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Inputs from --inputs FILE.json, then each --input NAME=VALUE (later ones win).
std::optional<Value> collect_inputs(const Pipeline& pipeline, const RunArgs& args) {
  Object inputs;
  const auto set = [&](std::string name, Value value) {
    for (auto& [key, existing] : inputs)
      if (key == name) {
        existing = std::move(value);
        return;
      }
    inputs.emplace_back(std::move(name), std::move(value));
  };
  if (!args.inputs_file.empty()) {
    std::string text;
    try {
      text = read_text_file(args.inputs_file);
    } catch (const std::runtime_error&) {
      std::cerr << "sluice: error: cannot read inputs file '" << printable(args.inputs_file)
                << "'\n";
      return std::nullopt;
    }
    Value parsed;
    try {
      parsed = Value::parse_json(text);
    } catch (const JsonError& e) {
      std::cerr << "sluice: error: " << printable(args.inputs_file) << ": " << printable(e.what())
                << '\n';
      return std::nullopt;
    }
    if (!parsed.is_object()) {
      std::cerr << "sluice: error: " << printable(args.inputs_file)
                << ": expected a JSON object of input names to values\n";
      return std::nullopt;
    }
    for (const auto& [name, value] : parsed.as_object())
      set(name, value);
  }
  for (const std::string& assignment : args.inputs) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "sluice: error: --input expects NAME=VALUE, got '" << printable(assignment)
                << "'\n";
      return std::nullopt;
    }
    const std::string name = assignment.substr(0, eq);
    try {
      set(name, pipeline.parse_input(name, std::string_view(assignment).substr(eq + 1)));
    } catch (const InputError& e) {
      std::cerr << "sluice: error: " << printable(e.what()) << '\n';
      return std::nullopt;
    }
  }
  return Value(std::move(inputs));
}

// A test file's first case from a recorded run: its inputs, the cassette, and what it
// produced. Nodes of clock-dependent types are pinned to what they output while recording, as
// the requests made from their outputs must match the recording. JSON is valid YAML.
std::string test_scaffold(const Pipeline& pipeline, const RunResult& result, const Value& inputs,
                          const std::string& pipeline_path, const std::string& cassette_name,
                          const std::string& command) {
  std::string text = "# Written by: " + command + "\n# Check it, rename the case, add more.\n";
  text += "version: 1\npipeline: " + Value(pipeline_path).to_json() + "\ncases:\n";
  text += "  - name: as recorded\n";
  if (inputs.is_object() && inputs.size() > 0)
    text += "    inputs: " + inputs.to_json() + "\n";
  text += "    cassette: " + Value(cassette_name).to_json() + "\n";
  std::string mocks;
  for (const NodeResult& node : result.nodes)
    if (pipeline.node_type(node.id) == "core.time" && node.status == NodeStatus::succeeded)
      mocks += "      " + Value(std::string(node.id)).to_json() +
               ": { outputs: " + node.output.to_json() + " }\n";
  if (!mocks.empty())
    text += "    mocks:\n" + mocks;
  text += "    expect:\n      status: " + std::string(to_string(result.status)) + "\n";
  if (result.ok() && result.outputs.size() > 0) {
    text += "      outputs:\n";
    for (const auto& [name, value] : result.outputs.as_object())
      text += "        " + Value(name).to_json() + ": " + value.to_json() + "\n";
  }
  return text;
}

// Writes DIR/NAME.cassette.json, and DIR/NAME.test.yaml unless there is one; false (after
// saying why) when the cassette could not be written.
bool write_recording(const RunArgs& args, Engine& engine, const Pipeline& pipeline,
                     const RunResult& result, const Value& inputs, CassetteRecorder& recorder) {
  namespace fs = std::filesystem;
  const fs::path dir = args.record;
  const fs::path source = args.file;
  const std::string stem = source.stem().string();
  Cassette cassette = recorder.take();
  std::error_code error;
  fs::create_directories(dir, error);
  const fs::path pipeline_path = fs::relative(fs::absolute(source), fs::absolute(dir), error);
  cassette.pipeline = error ? fs::absolute(source).string() : pipeline_path.string();
  try {
    cassette.pipeline_sha256 = sha256_hex(read_text_file(source));
    cassette.plugins = cassette_plugins(engine, pipeline);
    write_cassette(cassette, dir / (stem + ".cassette.json"), recorder.secrets());
  } catch (const std::exception& e) {
    std::cerr << "sluice: error: " << printable(e.what()) << '\n';
    return false;
  }
  std::cerr << "sluice: recorded " << cassette.exchanges.size() << " HTTP exchange"
            << (cassette.exchanges.size() == 1 ? "" : "s") << " in "
            << printable((dir / (stem + ".cassette.json")).string()) << '\n';
  const fs::path test_file = dir / (stem + ".test.yaml");
  if (fs::exists(test_file)) {
    std::cerr << "sluice: " << printable(test_file.string())
              << " exists: left as it is (a case replays the cassette with `cassette: " << stem
              << ".cassette.json`)\n";
    return true;
  }
  std::ofstream out(test_file, std::ios::binary);
  out << test_scaffold(pipeline, result, inputs, cassette.pipeline, stem + ".cassette.json",
                       "sluice run " + args.file + " --record " + args.record);
  if (!out) {
    std::cerr << "sluice: error: cannot write " << printable(test_file.string()) << '\n';
    return false;
  }
  std::cerr << "sluice: wrote " << printable(test_file.string()) << "; run it with: sluice test "
            << printable(test_file.string()) << '\n';
  return true;
}

} // namespace

int run_command(const RunArgs& args, const PluginArgs& plugins) {
  // Before the engine starts its threads, so that they inherit the blocked signals.
  std::stop_source stop;
  SignalCanceller canceller(stop);
  auto owned = make_engine(args.threads, plugins, args.credentials, args.limits);
  Engine& engine = *owned;
  auto pipeline = load_or_report(engine, args.file);
  if (!pipeline)
    return exit_usage;
  auto inputs = collect_inputs(*pipeline, args);
  if (!inputs)
    return exit_usage;

  RunOptions options;
  options.inputs = *inputs;
  options.stop = stop.get_token();
  options.node_times = true; // printed per node, with --quiet too
  // --dry-run alone arrives as "true" (a CLI11 flag).
  options.dry_run = args.dry_run.empty()        ? DryRun::off
                    : args.dry_run == "offline" ? DryRun::offline
                                                : DryRun::reads;
  std::shared_ptr<ProgressDisplay> progress;
  if (!args.quiet) {
    progress = std::make_shared<ProgressDisplay>(std::cerr, isatty(STDERR_FILENO) == 1,
                                                 pipeline->node_count());
    options.observers.push_back(progress);
  }
  std::shared_ptr<CassetteRecorder> recorder;
  if (!args.record.empty()) {
    if (options.dry_run != DryRun::off) {
      std::cerr << "sluice: error: --record and --dry-run do not go together: a dry run sends "
                   "no writes to record\n";
      return exit_usage;
    }
    recorder = std::make_shared<CassetteRecorder>(
        [&engine]() -> CredentialStore& { return engine.credentials(); });
    options.http_interceptor = recorder;
    options.credentials = recorder->credentials();
  }
  std::shared_ptr<TraceRecorder> trace;
  if (!args.trace_file.empty()) {
    trace = std::make_shared<TraceRecorder>();
    options.observers.push_back(trace);
  }

  RunResult result;
  try {
    result = engine.run(*pipeline, options);
  } catch (const InputError& e) {
    std::cerr << "sluice: error: " << printable(e.what()) << '\n';
    return exit_usage;
  }
  if (progress) {
    progress->close();
    print_summary(std::cerr, result, options.dry_run);
  }
  if (trace) {
    try {
      trace->write(args.trace_file);
    } catch (const std::exception& e) {
      std::cerr << "sluice: error: " << printable(e.what()) << '\n';
    }
  }

  if (recorder && !write_recording(args, engine, *pipeline, result, *inputs, *recorder))
    return exit_failed;

  if (args.json) {
    std::cout << result_json(result, options.dry_run).to_json(true) << '\n';
  } else if (result.ok() && options.dry_run != DryRun::off) {
    print_plan(std::cout, result, options.dry_run);
  } else if (result.ok()) {
    for (const auto& [name, value] : result.outputs.as_object())
      std::cout << name << ": " << value.to_text() << '\n';
  } else if (args.quiet) {
    std::cerr << "sluice: " << printable(result.error) << '\n';
  }
  return result.ok() ? exit_ok : exit_failed;
}

} // namespace sluice::cli
