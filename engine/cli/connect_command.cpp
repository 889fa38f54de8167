// `sluice connect`: lists the connection providers, or hands the rest of the command line to
// the named provider's consent flow (options such as --credentials may follow its name).

#include "connect_command.hpp"

#include "provider_context.hpp"

#include <sluice/credentials.hpp>

#include <fmt/format.h>

#include <iostream>

namespace sluice::cli {

struct ConnectCommand::Arguments {
  std::string credentials; // --credentials PATH
  std::string provider;
  bool help = false;
};

namespace {

void print_providers(const Engine& engine, std::ostream& out) {
  const auto providers = engine.providers();
  if (providers.empty()) {
    out << "No connection providers are loaded (they come from plugins; see: sluice plugins "
           "--check).\n";
    return;
  }
  out << "Connection providers:\n";
  for (const auto& provider : providers)
    out << fmt::format("  {:<12} {}\n", provider->name, provider->description);
  out << "Run 'sluice connect PROVIDER --help' for its options.\n";
}

// Options of `sluice connect` itself may also follow the provider name (users type
// `sluice connect zoom --credentials x.db ...`); take them out before the provider parses.
std::vector<std::string> take_host_options(std::vector<std::string> args, std::string& credentials,
                                           PluginArgs& plugins) {
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto take = [&](std::string_view flag, auto&& store) {
      if (a == flag && i + 1 < args.size()) {
        store(args[++i]);
        return true;
      }
      const std::string with_equals = std::string(flag) + "=";
      if (a.rfind(with_equals, 0) == 0) {
        store(a.substr(with_equals.size()));
        return true;
      }
      return false;
    };
    if (a == "--") { // everything after belongs to the provider
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (take("--credentials", [&](std::string v) { credentials = std::move(v); }))
      continue;
    if (take("--plugin-dir", [&](std::string v) { plugins.dirs.push_back(std::move(v)); }))
      continue;
    if (a == "--allow-unsafe-plugins") {
      plugins.allow_unsafe = true;
      continue;
    }
    rest.push_back(a);
  }
  return rest;
}

} // namespace

ConnectCommand::ConnectCommand(CLI::App& app) : args_(std::make_shared<Arguments>()) {
  command_ = app.add_subcommand(
      "connect", "Authorise a connection to a service (runs the provider's consent flow).");
  command_->add_option("--credentials", args_->credentials,
                       "The credential store (default: SLUICE_CREDENTIALS, else "
                       "$XDG_DATA_HOME/sluice/credentials.db)");
  command_->add_option("provider", args_->provider,
                       "The service, e.g. zoom (omit to list the providers available)");
  // Everything after the provider name is the provider's to parse, `--help` included.
  command_->prefix_command();
  command_->set_help_flag();
  command_->add_flag("-h,--help", args_->help,
                     "Print this help, or with PROVIDER the provider's options");
  command_->footer("Example: sluice connect zoom --name work --client-id ID "
                   "--client-secret-file secret.txt");
}

bool ConnectCommand::selected() const {
  return command_->parsed();
}

int ConnectCommand::run(const PluginArgs& plugins) const {
  PluginArgs all_plugins = plugins;
  std::string credentials = args_->credentials;
  std::vector<std::string> args =
      take_host_options(command_->remaining(), credentials, all_plugins);
  auto engine = make_engine(1, all_plugins, credentials);
  if (args_->provider.empty()) {
    if (args_->help)
      std::cout << command_->help();
    print_providers(*engine, std::cout);
    return exit_ok;
  }
  if (args_->help)
    args.insert(args.begin(), "--help");
  const auto provider = engine->find_provider(args_->provider);
  if (!provider) {
    std::cerr << fmt::format("sluice: no connection provider named '{}'.\n", args_->provider);
    print_providers(*engine, std::cerr);
    return exit_usage;
  }
  CliProviderContext context(*engine);
  try {
    return provider->connect(context, args);
  } catch (const CredentialError& e) {
    std::cerr << "sluice: " << e.what() << '\n';
    return exit_failed;
  }
}

} // namespace sluice::cli
