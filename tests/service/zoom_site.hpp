#pragma once
// A site (serve_fixture.hpp) whose processes load the Zoom plugin and hold a connection to a
// Zoom emulator, made the way a user makes one: `sluice connect zoom` through its browser flow.
// The including test defines SLUICE_PLUGIN_DIR (where the built plugins are).

#include "emulator_process.hpp"
#include "serve_fixture.hpp"

#include <string>

namespace serve_test {

inline void connect_to_emulator(Site& site,
                                const sluice::zoom_emulator::test::EmulatorProcess& emulator,
                                const std::string& name) {
  site.extra_environment.push_back("SLUICE_PLUGIN_PATH=" SLUICE_PLUGIN_DIR);
  site.extra_environment.push_back("SLUICE_ZOOM_CLIENT_SECRET=emulator-secret");
  site.sluice({"connect", "zoom", "--name", name, "--client-id", "emulator-client",
               "--api-base-url", emulator.url() + "/v2", "--oauth-base-url", emulator.url(),
               "--browser-command", "curl -s -L -o /dev/null"});
}

} // namespace serve_test
