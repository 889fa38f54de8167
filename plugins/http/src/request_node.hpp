#pragma once
// The `http.request` node type.

#include <sluice/node.hpp>

namespace sluice::http_plugin {

void register_request_node(Registrar& registrar);

} // namespace sluice::http_plugin
