#pragma once
// `sluice connect PROVIDER [ARGS...]`: hands the arguments to the provider plugin's consent
// flow (e.g. `sluice connect zoom --name work --client-id ...`).

#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

namespace sluice::cli {

class ConnectCommand {
public:
  explicit ConnectCommand(CLI::App& app);
  bool selected() const;
  int run(const PluginArgs& plugins) const;
  CLI::App* command() const { return command_; }

private:
  CLI::App* command_ = nullptr;
  struct Arguments;
  std::shared_ptr<Arguments> args_;
};

} // namespace sluice::cli
