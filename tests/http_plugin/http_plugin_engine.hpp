#pragma once
// What the tests of plugins/http share: loading the built plugin from disk into an engine.

#include <sluice/engine.hpp>
#include <sluice/plugin_loading.hpp>

#include <doctest/doctest.h>

namespace sluice::http_plugin_test {

// Loads the http plugin from the build tree into `engine`; fails the test when it does not load.
inline void load_http_plugin(Engine& engine) {
  bool loaded = false;
  for (const PluginFileReport& report : engine.load_plugins({SLUICE_PLUGIN_DIR}))
    loaded = loaded || (report.name == "http" && report.status == PluginFileStatus::loaded);
  REQUIRE(loaded);
}

} // namespace sluice::http_plugin_test
