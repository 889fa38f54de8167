// The Zoom plugin's entry point: six node types, their settings checks and the `zoom`
// connection provider.
#include "meeting_nodes.hpp"
#include "provider.hpp"
#include "settings_checks.hpp"

#include <sluice/plugin.hpp>

namespace {
void register_zoom(sluice::Registrar& registrar) {
  sluice::zoom::register_meeting_nodes(registrar);
  sluice::zoom::register_settings_checks(registrar);
  registrar.add_provider(sluice::zoom::zoom_provider());
}
} // namespace

SLUICE_PLUGIN("zoom", "0.1.0", "Zoom meetings and users over Zoom's REST API", register_zoom)
