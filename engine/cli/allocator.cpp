// The `sluice` executable is linked with jemalloc when the build finds it (engine/cli's
// CMakeLists.txt says why); asking it for its version also keeps the linker from dropping it.

#include "allocator.hpp"

#ifdef SLUICE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include <cstddef>

namespace sluice::cli {

std::string allocator_name() {
#ifdef SLUICE_JEMALLOC
  const char* version = nullptr;
  std::size_t size = sizeof(version);
  if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr) {
    std::string text(version);
    return "jemalloc " + text.substr(0, text.find('-')); // "5.3.0-0-g54eaed1..."
  }
  return "jemalloc";
#else
  return "the C library's";
#endif
}

} // namespace sluice::cli
