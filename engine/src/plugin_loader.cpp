// Loading plugins: find shared libraries on the search path (one unreadable entry never stops
// the others), refuse files others could have written or that dlopen() could not map
// (plugin_file_trust.cpp, plugin_file_check.cpp), check their descriptor before trusting
// anything in them, register their node types all-or-nothing, keep them resident.

#include "plugin_loader.hpp"

#include "plugin_file_check.hpp"
#include "plugin_file_trust.hpp"

#include <sluice/encoding.hpp>
#include <sluice/plugin.hpp>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>
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

namespace fs = std::filesystem;

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
  void add_settings_check(std::string_view type, SettingsCheck check) override {
    settings_checks.emplace_back(std::string(type), std::move(check));
  }
  void add_side_effects_rule(std::string_view type, SideEffectsRule rule) override {
    side_effects_rules.emplace_back(std::string(type), std::move(rule));
  }
  void declare_reach(std::string_view type, Reach reach) override {
    reaches.emplace_back(std::string(type), reach);
  }
  void declare_reconciles(std::string_view type) override {
    reconciling.emplace_back(std::string(type), true);
  }
  /// The node type `name` this plugin registers, or nullptr: it may add checks and rules to
  /// its own types only.
  const NodeType* staged_type(std::string_view name) const {
    const auto found = std::find_if(types.begin(), types.end(), [name](const NodeType& type) {
      return type.spec.type == name;
    });
    return found == types.end() ? nullptr : &*found;
  }
  std::vector<NodeType> types;
  std::vector<ConnectionProvider> providers;
  std::vector<std::pair<std::string, SettingsCheck>> settings_checks;
  std::vector<std::pair<std::string, Reach>> reaches;
  std::vector<std::pair<std::string, bool>> reconciling;
  std::vector<std::pair<std::string, SideEffectsRule>> side_effects_rules;
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

// The `*.so` entries of `dir` that are not directories, sorted by name. Nothing here throws:
// an entry that cannot be examined is kept (examine() reports it), and a directory that cannot
// be read adds a report and yields what was read of it. A directory that does not exist
// yields nothing (`sluice plugins --check` shows it as missing).
std::vector<fs::path> plugin_files(const fs::path& dir, std::vector<PluginFileReport>& reports) {
  std::vector<fs::path> files;
  const auto unreadable = [&](const std::error_code& ec) {
    PluginFileReport report;
    report.file = dir;
    report.status = PluginFileStatus::failed;
    report.message =
        printable(dir.string()) + ": cannot read the plugin directory: " + ec.message();
    reports.push_back(std::move(report));
  };
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found || ec == std::errc::not_a_directory)
    return files;
  if (ec) {
    unreadable(ec);
    return files;
  }
  if (status.type() != fs::file_type::directory)
    return files;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (it->path().extension() == ".so" && !it->is_directory(entry_ec))
      files.push_back(it->path());
  }
  if (ec)
    unreadable(ec);
  std::sort(files.begin(), files.end());
  return files;
}

// Why `file` must not be handed to dlopen(), as its report; nullopt when it may be.
std::optional<PluginFileReport> examine(const fs::path& file, const PluginLoadOptions& options) {
  const auto report = [&](PluginFileStatus status, const std::string& why) {
    PluginFileReport r;
    r.file = file;
    r.status = status;
    r.message = printable(file.filename().string()) + ": " + why;
    return r;
  };
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (ec) {
    std::error_code link_ec;
    if (status.type() == fs::file_type::not_found &&
        fs::is_symlink(fs::symlink_status(file, link_ec)))
      return report(PluginFileStatus::failed,
                    "a symbolic link to a missing file (" +
                        printable(fs::read_symlink(file, link_ec).string()) + ")");
    return report(PluginFileStatus::failed, "cannot read it: " + ec.message());
  }
  if (status.type() != fs::file_type::regular)
    return report(PluginFileStatus::failed, "not a regular file");
  if (!options.allow_unsafe_permissions) {
    const TrustProblem problem = untrusted_plugin_problem(file);
    if (!problem.why.empty() && problem.fix.empty())
      return report(PluginFileStatus::failed, problem.why);
    if (!problem.why.empty())
      return report(PluginFileStatus::refused, "refused: " + problem.why + "; fix with " +
                                                   problem.fix + ", or " + options.how_to_allow);
  }
  if (const std::string problem = loadable_library_problem(file); !problem.empty())
    return report(PluginFileStatus::failed, problem);
  return std::nullopt;
}

// The plugins loaded so far: the first of a name wins.
using LoadedPlugins = std::vector<std::pair<std::string, fs::path>>;

// dlopen()s `file`, checks its descriptor and registers its node types all-or-nothing.
PluginFileReport load_plugin(Registry& registry, const fs::path& file, LoadedPlugins& loaded) {
  PluginFileReport report;
  report.file = file;
  const std::string shown = printable(file.filename().string());

  boost::dll::shared_library library;
  try {
    library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    report.status = PluginFileStatus::failed;
    report.message = shown + ": cannot load: " + printable(load_failure(e.what(), file));
    return report;
  }
  if (!library.has(SLUICE_PLUGIN_ENTRY_NAME)) {
    report.status = PluginFileStatus::not_a_plugin;
    report.message = shown + ": not a Sluice plugin (no " SLUICE_PLUGIN_ENTRY_NAME " symbol)";
    return report; // nothing of it was run: it unloads here
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
    report.message = shown + ": not a Sluice plugin (its descriptor has the wrong magic number)";
    return report;
  }
  constexpr std::uint32_t needed = offsetof(SluicePluginDescriptor, reserved);
  if (d->struct_size < needed) {
    report.status = PluginFileStatus::refused;
    report.message = shown + ": plugin descriptor is " + std::to_string(d->struct_size) +
                     " bytes, this host needs at least " + std::to_string(needed);
    return report;
  }
  report.name = c_string(d->name);
  report.version = c_string(d->version);
  report.description = c_string(d->description);
  const std::string who = "plugin '" + printable(report.name) + "' (" + shown + ")";
  const std::string plugin_side = side(d->abi_major, d->abi_minor, c_string(d->compiler),
                                       c_string(d->stdlib), d->boost_version);
  const std::string host_side = side(SLUICE_SDK_ABI_MAJOR, SLUICE_SDK_ABI_MINOR,
                                     SLUICE_BUILD_COMPILER, SLUICE_BUILD_STDLIB, BOOST_VERSION);
  const bool abi_ok = d->abi_major == SLUICE_SDK_ABI_MAJOR && d->abi_minor <= SLUICE_SDK_ABI_MINOR;
  const bool toolchain_ok = c_string(d->compiler) == SLUICE_BUILD_COMPILER &&
                            c_string(d->stdlib) == SLUICE_BUILD_STDLIB &&
                            d->boost_version == BOOST_VERSION;
  if (!abi_ok || !toolchain_ok) {
    report.status = PluginFileStatus::refused;
    report.message =
        who + " was built for " + printable(plugin_side) + "; this host is " + host_side;
    return report;
  }
  if (report.name.empty() || !d->register_types) {
    report.status = PluginFileStatus::refused;
    report.message = shown + ": plugin descriptor has no name or no registration function";
    return report;
  }
  const auto first = std::find_if(loaded.begin(), loaded.end(),
                                  [&](const auto& nf) { return nf.first == report.name; });
  if (first != loaded.end()) {
    report.status = PluginFileStatus::shadowed;
    report.message = who + " is shadowed by the one in " + printable(first->second.string()) +
                     " (found earlier on the plugin path)";
    return report;
  }

  StagingRegistrar staging;
  char error[512] = {};
  if (d->register_types(static_cast<Registrar*>(&staging), error, sizeof error) != 0) {
    report.status = PluginFileStatus::failed;
    report.message = who + ": registration failed: " + printable(error);
    return report;
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
  // Checks and rules attach to one of the plugin's own types, at most one of each per type.
  const auto check_attachments = [&](const auto& attachments, const std::string& kind,
                                     const auto& check_one) {
    std::set<std::string, std::less<>> attached;
    for (const auto& [type, attachment] : attachments) {
      if (!problem.empty())
        return;
      try {
        const NodeType* staged = staging.staged_type(type);
        if (staged == nullptr)
          throw std::invalid_argument(kind + " for node type '" + type +
                                      "', which this plugin does not register");
        check_one(*staged, attachment);
        if (!attached.insert(type).second)
          throw std::invalid_argument("node type '" + type + "' has two " + kind + "s");
      } catch (const std::invalid_argument& e) {
        problem = e.what();
      }
    }
  };
  check_attachments(staging.settings_checks, "settings check",
                    [&](const NodeType& type, const SettingsCheck& check) {
                      registry.check_settings_check(type.spec.type, check, true);
                    });
  check_attachments(staging.side_effects_rules, "side-effects rule",
                    [&](const NodeType& type, const SideEffectsRule& rule) {
                      registry.check_side_effects_rule(type.spec, rule);
                    });
  check_attachments(staging.reaches, "reach declaration",
                    [&](const NodeType& type, Reach) { registry.check_reach(type.spec.type); });
  check_attachments(staging.reconciling, "reconciliation declaration",
                    [&](const NodeType& type, bool) { registry.check_reconciles(type.spec); });
  if (!problem.empty()) {
    report.status = PluginFileStatus::failed;
    report.message = who + ": " + problem;
    return report;
  }
  for (NodeType& type : staging.types) {
    report.node_types.push_back(type.spec.type);
    registry.add(std::move(type), who);
  }
  for (ConnectionProvider& provider : staging.providers) {
    report.providers.push_back(provider.name);
    registry.add_provider(std::move(provider), who);
  }
  for (auto& [type, check] : staging.settings_checks)
    registry.add_settings_check(type, std::move(check), who);
  for (auto& [type, rule] : staging.side_effects_rules)
    registry.add_side_effects_rule(type, std::move(rule), who);
  for (const auto& [type, reach] : staging.reaches)
    registry.declare_reach(type, reach, who);
  for (const auto& [type, declared] : staging.reconciling)
    registry.declare_reconciles(type, who);
  report.status = PluginFileStatus::loaded;
  loaded.emplace_back(report.name, file);
  return report;
}

} // namespace

std::vector<PluginFileReport> load_plugins(Registry& registry, const std::vector<fs::path>& dirs,
                                           const PluginLoadOptions& options) {
  std::vector<PluginFileReport> reports;
  LoadedPlugins loaded;
  for (const fs::path& dir : dirs)
    for (const fs::path& file : plugin_files(dir, reports)) {
      if (std::optional<PluginFileReport> refusal = examine(file, options))
        reports.push_back(std::move(*refusal));
      else
        reports.push_back(load_plugin(registry, file, loaded));
    }
  return reports;
}

} // namespace detail
} // namespace sluice
