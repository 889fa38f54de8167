#pragma once
// The zoom.* settings checks run when a pipeline is loaded (SDK 1.5), so that `sluice validate`
// reports a bad literal time zone, start time, duration or id at its file:line:column.

#include <sluice/node.hpp>

namespace sluice::zoom {

/// Adds the check of each zoom.* node type; the types must be registered first.
void register_settings_checks(Registrar& registrar);

} // namespace sluice::zoom
