#pragma once
// Loads plugins from directories into a registry (see plugin_loader.cpp for the checks).

#include "registry.hpp"

#include <sluice/plugin_loading.hpp>

#include <filesystem>
#include <vector>

namespace sluice::detail {

/// Examines every `*.so` in `dirs` (in order, files sorted by name) and loads the plugins.
/// Never throws for what it finds on disk: every problem is a report.
std::vector<PluginFileReport> load_plugins(Registry& registry,
                                           const std::vector<std::filesystem::path>& dirs,
                                           const PluginLoadOptions& options);

} // namespace sluice::detail
