#pragma once
// The `sluice` subcommands. Each returns the process exit code:
// 0 success, 1 the pipeline failed (or a check found problems), 2 usage or validation error.

#include <sluice/engine.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::cli {

enum ExitCode { exit_ok = 0, exit_failed = 1, exit_usage = 2 };

/// Options every command that loads node types shares.
struct PluginArgs {
  std::vector<std::string> dirs; // --plugin-dir, searched first
  bool allow_unsafe = false;     // --allow-unsafe-plugins
};

struct RunArgs {
  std::string file;
  std::vector<std::string> inputs; // k=v
  std::string inputs_file;
  bool json = false;
  unsigned threads = 0;
  std::string trace_file;
  bool quiet = false;
  std::string credentials; // --credentials PATH
  Limits limits;           // --max-input-bytes, --max-nodes...
  std::string dry_run;     // --dry-run[=offline]; empty: a real run
  std::string record;      // --record DIR: write a cassette and a test file scaffold
};

struct TestArgs {
  std::vector<std::string> paths; // files and folders; empty: the current folder
  std::string filter;             // --filter TEXT
  std::string junit;              // --junit FILE
  std::string credentials;        // --credentials PATH (for nodes a case does not mock)
  bool rerecord = false;          // --rerecord: cases with a cassette run for real, recorded
  Limits limits;
};

int run_command(const RunArgs& args, const PluginArgs& plugins);
/// 0 every case passed, 1 a case failed, 2 a test file could not run (or none was found).
int test_command(const TestArgs& args, const PluginArgs& plugins);
int validate_command(const std::vector<std::string>& files, const PluginArgs& plugins,
                     const Limits& limits);
int graph_command(const std::string& file, const std::string& format, const PluginArgs& plugins,
                  const Limits& limits);
int nodes_command(bool json, const PluginArgs& plugins);
int inspect_command(const std::string& type, bool json, const PluginArgs& plugins);
int plugins_command(bool verbose, bool check, const PluginArgs& plugins);
int schema_command(const PluginArgs& plugins);

/// An engine with the plugins on the search path loaded; files that fail to load are
/// reported on stderr as one-line warnings.
/// `credentials` (`--credentials PATH`) names the connection store; empty: the environment.
/// `limits` are the engine's (`--max-nodes`...). `store` (`--store URL`) keeps connections in
/// a PostgreSQL database instead; empty: SLUICE_STORE, else the file.
std::unique_ptr<Engine> make_engine(unsigned threads, const PluginArgs& plugins,
                                    const std::string& credentials = {}, const Limits& limits = {},
                                    const Secret& store = {});

/// Loads a pipeline, printing diagnostics to stderr; nullopt on failure.
std::optional<Pipeline> load_or_report(Engine& engine, const std::string& file);

} // namespace sluice::cli
