// Loading plugins: find shared libraries on the search path, check their descriptor before
// trusting anything in them, register their node types all-or-nothing, keep them resident.

#include "plugin_loader.hpp"

#include <sluice/plugin.hpp>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>

namespace sluice {

std::string_view to_string(PluginFileStatus status) noexcept {
  switch (status) {
  case PluginFileStatus::loaded:
    return "loaded";
  case PluginFileStatus::shadowed:
    return "shadowed";
  case PluginFileStatus::refused:
    return "refused";
  case PluginFileStatus::failed:
    return "failed";
  case PluginFileStatus::not_a_plugin:
    return "not a plugin";
  }
  return "unknown";
}

std::filesystem::path installed_plugin_dir() {
  // Beside the library that holds this function, so an install can be moved anywhere.
  const boost::dll::fs::path self = boost::dll::this_line_location();
  return self.parent_path() / "sluice" / "plugins";
}

std::vector<std::filesystem::path>
plugin_search_path(const std::vector<std::filesystem::path>& extra_dirs) {
  std::vector<std::filesystem::path> dirs(extra_dirs.begin(), extra_dirs.end());
  if (const char* env = std::getenv("SLUICE_PLUGIN_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      if (!dir.empty())
        dirs.emplace_back(dir);
      if (colon == std::string_view::npos)
        break;
      rest.remove_prefix(colon + 1);
    }
  }
  dirs.push_back(installed_plugin_dir());
  return dirs;
}

namespace detail {

namespace {

// Plugins stay loaded until the process exits: vtables, std::function targets, exception
// types and shared_ptr deleters from a plugin may live in objects that outlive any engine.
// Deliberately leaked so no static destructor unloads them before those objects die.
std::vector<boost::dll::shared_library>& resident_libraries() {
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  return *libraries;
}
std::mutex resident_mutex;

std::string boost_version_text(std::uint32_t version) {
  return std::to_string(version / 100000) + "." + std::to_string(version / 100 % 1000);
}

std::string side(std::uint32_t abi_major, std::uint32_t abi_minor, const std::string& compiler,
                 const std::string& stdlib, std::uint32_t boost_version) {
  return "Sluice SDK " + std::to_string(abi_major) + "." + std::to_string(abi_minor) + " with " +
         compiler + " (" + stdlib + ") / Boost " + boost_version_text(boost_version);
}

// Collects a plugin's types so they can be checked and committed all at once.
class StagingRegistrar final : public Registrar {
public:
  void add(NodeType type) override { types.push_back(std::move(type)); }
  void add_provider(ConnectionProvider provider) override {
    providers.push_back(std::move(provider));
  }
  std::vector<NodeType> types;
  std::vector<ConnectionProvider> providers;
};

std::string c_string(const char* text) {
  return text ? std::string(text) : std::string();
}

// Boost.DLL wraps dlerror() as "...load() failed (dlerror system message: FILE: WHY): ...";
// users need only WHY.
std::string load_failure(const std::string& what, const std::filesystem::path& file) {
  constexpr std::string_view marker = "dlerror system message: ";
  const auto start = what.find(marker);
  const auto end = what.rfind("): ");
  if (start == std::string::npos || end == std::string::npos || end < start)
    return what;
  std::string why = what.substr(start + marker.size(), end - start - marker.size());
  const std::string prefix = file.string() + ": ";
  if (why.rfind(prefix, 0) == 0)
    why.erase(0, prefix.size());
  return why;
}

} // namespace

std::vector<PluginFileReport> load_plugins(Registry& registry,
                                           const std::vector<std::filesystem::path>& dirs) {
  std::vector<PluginFileReport> reports;
  std::set<std::string, std::less<>> loaded_names;
  std::vector<std::pair<std::string, std::filesystem::path>> name_files;

  for (const std::filesystem::path& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      continue;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      if (entry.path().extension() == ".so" && !entry.is_directory())
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());

    for (const std::filesystem::path& file : files) {
      PluginFileReport report;
      report.file = file;
      const std::string shown = file.filename().string();

      boost::dll::shared_library library;
      try {
        library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
      } catch (const std::exception& e) {
        report.status = PluginFileStatus::failed;
        report.message = shown + ": cannot load: " + load_failure(e.what(), file);
        reports.push_back(std::move(report));
        continue;
      }
      if (!library.has(SLUICE_PLUGIN_ENTRY_NAME)) {
        report.status = PluginFileStatus::not_a_plugin;
        report.message = shown + ": not a Sluice plugin (no " SLUICE_PLUGIN_ENTRY_NAME " symbol)";
        reports.push_back(std::move(report));
        continue; // nothing of it was run: it unloads here
      }
      const SluicePluginDescriptor* d =
          library.get<const SluicePluginDescriptor*()>(SLUICE_PLUGIN_ENTRY_NAME)();
      // From here on the library ran code of its own: keep it resident whatever happens.
      {
        std::lock_guard lock(resident_mutex);
        resident_libraries().push_back(library);
      }
      if (!d || d->magic != SLUICE_PLUGIN_MAGIC) {
        report.status = PluginFileStatus::not_a_plugin;
        report.message =
            shown + ": not a Sluice plugin (its descriptor has the wrong magic number)";
        reports.push_back(std::move(report));
        continue;
      }
      constexpr std::uint32_t needed = offsetof(SluicePluginDescriptor, reserved);
      if (d->struct_size < needed) {
        report.status = PluginFileStatus::refused;
        report.message = shown + ": plugin descriptor is " + std::to_string(d->struct_size) +
                         " bytes, this host needs at least " + std::to_string(needed);
        reports.push_back(std::move(report));
        continue;
      }
      report.name = c_string(d->name);
      report.version = c_string(d->version);
      report.description = c_string(d->description);
      const std::string who = "plugin '" + report.name + "' (" + shown + ")";
      const std::string plugin_side = side(d->abi_major, d->abi_minor, c_string(d->compiler),
                                           c_string(d->stdlib), d->boost_version);
      const std::string host_side = side(SLUICE_SDK_ABI_MAJOR, SLUICE_SDK_ABI_MINOR,
                                         SLUICE_BUILD_COMPILER, SLUICE_BUILD_STDLIB, BOOST_VERSION);
      const bool abi_ok =
          d->abi_major == SLUICE_SDK_ABI_MAJOR && d->abi_minor <= SLUICE_SDK_ABI_MINOR;
      const bool toolchain_ok = c_string(d->compiler) == SLUICE_BUILD_COMPILER &&
                                c_string(d->stdlib) == SLUICE_BUILD_STDLIB &&
                                d->boost_version == BOOST_VERSION;
      if (!abi_ok || !toolchain_ok) {
        report.status = PluginFileStatus::refused;
        report.message = who + " was built for " + plugin_side + "; this host is " + host_side;
        reports.push_back(std::move(report));
        continue;
      }
      if (report.name.empty() || !d->register_types) {
        report.status = PluginFileStatus::refused;
        report.message = shown + ": plugin descriptor has no name or no registration function";
        reports.push_back(std::move(report));
        continue;
      }
      if (loaded_names.contains(report.name)) {
        const auto first = std::find_if(name_files.begin(), name_files.end(),
                                        [&](const auto& nf) { return nf.first == report.name; });
        report.status = PluginFileStatus::shadowed;
        report.message = who + " is shadowed by the one in " + first->second.string() +
                         " (found earlier on the plugin path)";
        reports.push_back(std::move(report));
        continue;
      }

      StagingRegistrar staging;
      char error[512] = {};
      if (d->register_types(static_cast<Registrar*>(&staging), error, sizeof error) != 0) {
        report.status = PluginFileStatus::failed;
        report.message = who + ": registration failed: " + error;
        reports.push_back(std::move(report));
        continue;
      }
      std::string problem;
      std::set<std::string, std::less<>> seen;
      for (const NodeType& type : staging.types) {
        try {
          registry.check(type);
          if (!seen.insert(type.spec.type).second)
            throw std::invalid_argument("node type '" + type.spec.type +
                                        "' is registered twice by this plugin");
        } catch (const std::invalid_argument& e) {
          problem = e.what();
          break;
        }
      }
      for (const ConnectionProvider& provider : staging.providers) {
        if (!problem.empty())
          break;
        try {
          registry.check_provider(provider);
        } catch (const std::invalid_argument& e) {
          problem = e.what();
        }
      }
      if (!problem.empty()) {
        report.status = PluginFileStatus::failed;
        report.message = who + ": " + problem;
        reports.push_back(std::move(report));
        continue;
      }
      for (NodeType& type : staging.types) {
        report.node_types.push_back(type.spec.type);
        registry.add(std::move(type), who);
      }
      for (ConnectionProvider& provider : staging.providers) {
        report.providers.push_back(provider.name);
        registry.add_provider(std::move(provider), who);
      }
      report.status = PluginFileStatus::loaded;
      loaded_names.insert(report.name);
      name_files.emplace_back(report.name, file);
      reports.push_back(std::move(report));
    }
  }
  return reports;
}

} // namespace detail
} // namespace sluice
