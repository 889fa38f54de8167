#pragma once
// The `sluice` subcommands. Each returns the process exit code:
// 0 success, 1 the pipeline failed, 2 usage or validation error.

#include <sluice/engine.hpp>

#include <string>
#include <vector>

namespace sluice::cli {

enum ExitCode { exit_ok = 0, exit_failed = 1, exit_usage = 2 };

struct RunArgs {
  std::string file;
  std::vector<std::string> inputs; // k=v
  std::string inputs_file;
  bool json = false;
  unsigned threads = 0;
  std::string trace_file;
  bool quiet = false;
};

int run_command(const RunArgs& args);
int validate_command(const std::vector<std::string>& files);
int graph_command(const std::string& file, const std::string& format);
int nodes_command(bool json);
int inspect_command(const std::string& type, bool json);

/// Loads a pipeline, printing diagnostics to stderr; nullopt on failure.
std::optional<Pipeline> load_or_report(Engine& engine, const std::string& file);

} // namespace sluice::cli
