// Loading plugins for every command, `sluice plugins` (list and --check) and `sluice schema`.

#include "commands.hpp"

#include <sluice/encoding.hpp>
#include <sluice/schema.hpp>

#include <fmt/format.h>

#include <iostream>

namespace sluice::cli {

namespace {

std::vector<std::filesystem::path> search_path(const PluginArgs& plugins) {
  return plugin_search_path({plugins.dirs.begin(), plugins.dirs.end()});
}

PluginLoadOptions load_options(const PluginArgs& plugins) {
  PluginLoadOptions options;
  options.allow_unsafe_permissions = plugins.allow_unsafe;
  options.how_to_allow = "pass --allow-unsafe-plugins";
  return options;
}

} // namespace

std::unique_ptr<Engine> make_engine(unsigned threads, const PluginArgs& plugins,
                                    const std::string& credentials, const Limits& limits,
                                    const Secret& store) {
  EngineOptions options;
  options.credentials_url = store;
  options.threads = threads;
  options.limits = limits;
  if (!credentials.empty())
    options.credentials_path = credentials;
  auto engine = std::make_unique<Engine>(options);
  for (const PluginFileReport& report :
       engine->load_plugins(search_path(plugins), load_options(plugins)))
    if (report.status != PluginFileStatus::loaded && report.status != PluginFileStatus::shadowed)
      std::cerr << "sluice: warning: " << report.message << " (see `sluice plugins --check`)\n";
  return engine;
}

int plugins_command(bool verbose, bool check, const PluginArgs& plugins) {
  EngineOptions options;
  options.threads = 1;
  Engine engine(options);
  const auto dirs = search_path(plugins);
  const auto reports = engine.load_plugins(dirs, load_options(plugins));

  if (check) {
    bool problems = false;
    std::cout << "Plugin search path (first plugin of a name wins):\n";
    for (const auto& dir : dirs) {
      std::error_code ec;
      const bool exists = std::filesystem::is_directory(dir, ec);
      std::cout << "  " << printable(dir.string()) << (exists ? "" : "  (does not exist)") << '\n';
    }
    std::cout << '\n';
    if (reports.empty())
      std::cout << "No plugin files (*.so) found.\n";
    for (const PluginFileReport& r : reports) {
      const bool ok = r.status == PluginFileStatus::loaded;
      problems |= r.status == PluginFileStatus::failed || r.status == PluginFileStatus::refused;
      std::cout << fmt::format("{:<13} {}\n", to_string(r.status), printable(r.file.string()));
      if (ok)
        std::cout << fmt::format("              {} {}: {} node type{}\n", r.name, r.version,
                                 r.node_types.size(), r.node_types.size() == 1 ? "" : "s");
      else
        std::cout << "              " << r.message << '\n';
    }
    return problems ? exit_failed : exit_ok;
  }

  std::size_t loaded = 0;
  for (const PluginFileReport& r : reports) {
    if (r.status == PluginFileStatus::loaded) {
      ++loaded;
      std::cout << fmt::format("{} {}  {}\n", r.name, r.version, printable(r.file.string()));
      if (!r.description.empty())
        std::cout << "    " << r.description << '\n';
      std::string types;
      for (const std::string& t : r.node_types)
        types += (types.empty() ? "" : ", ") + t;
      std::cout << "    node types: " << types << '\n';
      if (!r.providers.empty()) {
        std::string providers;
        for (const std::string& p : r.providers)
          providers += (providers.empty() ? "" : ", ") + p;
        std::cout << "    connection providers: " << providers << " (sluice connect NAME)\n";
      }
    } else if (r.status == PluginFileStatus::shadowed && verbose) {
      std::cout << "(shadowed) " << r.message << '\n';
    } else if (r.status != PluginFileStatus::shadowed) {
      std::cerr << "sluice: warning: " << r.message << '\n';
    }
  }
  if (loaded == 0) {
    std::string searched;
    for (const auto& dir : dirs)
      searched += (searched.empty() ? "" : ", ") + printable(dir.string());
    std::cout << "No plugins loaded. Searched: " << searched
              << "\n(`sluice plugins --check` explains each file)\n";
  }
  return exit_ok;
}

int schema_command(const PluginArgs& plugins) {
  auto engine = make_engine(1, plugins);
  std::cout << pipeline_schema(*engine).to_json(true) << '\n';
  return exit_ok;
}

} // namespace sluice::cli
