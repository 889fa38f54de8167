#pragma once
// Which malloc the `sluice` executable runs on, for `sluice --version`.

#include <string>

namespace sluice::cli {

/// "jemalloc 5.3.0" when the executable is linked with jemalloc, else "the C library's".
std::string allocator_name();

} // namespace sluice::cli
