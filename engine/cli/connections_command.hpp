#pragma once
// `sluice connections list|show|delete|check|rekey`, and the `--credentials PATH` option.

#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace sluice::cli {

/// The parsed `connections` command; `selected()` after parsing tells whether to `run()` it.
class ConnectionsCommand {
public:
  /// Adds the command and its subcommands to `app`.
  explicit ConnectionsCommand(CLI::App& app);
  bool selected() const;
  /// Runs the chosen subcommand; returns the exit code. `check` and `delete --revoke` load
  /// the plugins to reach the connection's provider.
  int run(const PluginArgs& plugins) const;
  CLI::App* command() const { return command_; }

private:
  CLI::App* command_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* delete_ = nullptr;
  CLI::App* check_ = nullptr;
  CLI::App* rekey_ = nullptr;
  CLI::App* migrate_ = nullptr;
  // Heap-allocated: CLI11 keeps pointers to these, and the command object may move.
  struct Arguments;
  std::shared_ptr<Arguments> args_;
};

} // namespace sluice::cli
