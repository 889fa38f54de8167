#pragma once
// `sluice serve` (pipelines as a service), `sluice worker` (runs from a shared queue) and
// `sluice tokens create|list|delete` (the API's bearer tokens), which work on the same run
// store.

#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace sluice::cli {

class ServeCommand {
public:
  explicit ServeCommand(CLI::App& app);
  bool selected() const;
  int run(const PluginArgs& plugins) const;
  CLI::App* command() const { return command_; }

private:
  CLI::App* command_ = nullptr;
  struct Arguments;
  std::shared_ptr<Arguments> args_;
};

/// `sluice worker`: runs what a shared store's queue holds, for the pipelines it is given.
class WorkerCommand {
public:
  explicit WorkerCommand(CLI::App& app);
  bool selected() const;
  int run(const PluginArgs& plugins) const;
  CLI::App* command() const { return command_; }

private:
  CLI::App* command_ = nullptr;
  struct Arguments;
  std::shared_ptr<Arguments> args_;
};

class TokensCommand {
public:
  explicit TokensCommand(CLI::App& app);
  bool selected() const;
  int run() const;

private:
  CLI::App* command_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* delete_ = nullptr;
  struct Arguments;
  std::shared_ptr<Arguments> args_;
};

/// `sluice runs list|show ID|cancel ID`: the run store, read locally or through a server.
class RunsCommand {
public:
  explicit RunsCommand(CLI::App& app);
  bool selected() const;
  int run() const;

private:
  CLI::App* command_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* cancel_ = nullptr;
  struct Arguments;
  std::shared_ptr<Arguments> args_;
};

/// `sluice secrets set|delete NAME`: shared secrets of webhooks (bearer or HMAC), kept in
/// the credential store as connections of provider "webhook-secret".
class SecretsCommand {
public:
  explicit SecretsCommand(CLI::App& app);
  bool selected() const;
  int run() const;

private:
  CLI::App* command_ = nullptr;
  CLI::App* set_ = nullptr;
  CLI::App* delete_ = nullptr;
  struct Arguments;
  std::shared_ptr<Arguments> args_;
};

} // namespace sluice::cli
