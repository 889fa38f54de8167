#pragma once
/// @file
/// Finding and loading node-type plugins (shared libraries built against the SDK).

#include <sluice/export.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace sluice {

/// What happened to one file found on the plugin search path.
enum class PluginFileStatus {
  loaded,       ///< its node types are registered
  shadowed,     ///< a plugin of the same name was found earlier on the path
  refused,      ///< a Sluice plugin built for another SDK ABI or toolchain
  failed,       ///< could not be loaded, or its registration failed
  not_a_plugin, ///< a shared library without Sluice's entry point
};
SLUICE_API std::string_view to_string(PluginFileStatus status) noexcept;

/// One file examined while loading plugins.
struct PluginFileReport {
  std::filesystem::path file;
  PluginFileStatus status = PluginFileStatus::failed;
  /// The plugin's name and version when the descriptor could be read.
  std::string name;
  std::string version;
  std::string description;
  /// Node types registered (loaded plugins only).
  std::vector<std::string> node_types;
  /// Connection providers registered (`sluice connect NAME`).
  std::vector<std::string> providers;
  /// Why it was not loaded, in one line naming the file.
  std::string message;
};

/// The plugin directories in search order: `extra_dirs` (e.g. `--plugin-dir`), then the
/// colon-separated `SLUICE_PLUGIN_PATH`, then the installation's plugin directory.
/// Directories that do not exist are kept (reported by `sluice plugins --check`).
SLUICE_API std::vector<std::filesystem::path>
plugin_search_path(const std::vector<std::filesystem::path>& extra_dirs = {});

/// The installation's plugin directory: `sluice/plugins` beside libsluice.
SLUICE_API std::filesystem::path installed_plugin_dir();

} // namespace sluice
