#pragma once
// The network side: one io_context, a listener, and HTTP/1.1 sessions (plain or TLS)
// running as C++20 coroutines.

#include "config.hpp"

namespace sluice::zoom_emulator {

// Serves until SIGINT or SIGTERM; prints `listening on URL` as the first stdout line.
// Returns the process exit code.
int run_server(const EmulatorConfig& config);

} // namespace sluice::zoom_emulator
