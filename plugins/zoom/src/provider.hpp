#pragma once
// The `zoom` connection provider: `sluice connect zoom`, `connections check`, `connections
// delete --revoke`.

#include <sluice/provider.hpp>

namespace sluice::zoom {

ConnectionProvider zoom_provider();

} // namespace sluice::zoom
