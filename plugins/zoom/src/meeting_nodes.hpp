#pragma once
// The zoom.* node types.

#include <sluice/node.hpp>

namespace sluice::zoom {

void register_meeting_nodes(Registrar& registrar);

} // namespace sluice::zoom
