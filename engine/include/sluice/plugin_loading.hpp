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
  refused,      ///< not trusted (others can write it), or built for another ABI or toolchain
  failed,       ///< could not be read or loaded, or its registration failed
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

/// How `Engine::load_plugins` treats plugin files it should not trust.
struct PluginLoadOptions {
  /// Also load plugin files that a user other than the caller or root could have written
  /// (the file or its directory is owned by another user, or writable by group or others
  /// without the sticky bit). Off by default: whoever can write a plugin file runs code as
  /// whoever loads it.
  bool allow_unsafe_permissions = false;
  /// The end of a refusal for unsafe permissions, saying how to allow them anyway, in the
  /// caller's terms (the `sluice` command says "pass --allow-unsafe-plugins").
  std::string how_to_allow = "set PluginLoadOptions::allow_unsafe_permissions";
};

/// The plugin directories in search order: `extra_dirs` (e.g. `--plugin-dir`), then the
/// colon-separated `SLUICE_PLUGIN_PATH`, then the installation's plugin directory.
/// Directories that do not exist are kept (reported by `sluice plugins --check`).
SLUICE_API std::vector<std::filesystem::path>
plugin_search_path(const std::vector<std::filesystem::path>& extra_dirs = {});

/// The installation's plugin directory: `sluice/plugins` beside libsluice.
SLUICE_API std::filesystem::path installed_plugin_dir();

} // namespace sluice
