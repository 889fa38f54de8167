// Descriptors a well-behaved plugin would never produce, written out by hand: wrong magic,
// another SDK ABI, another toolchain. Selected with FORGE_* definitions.
#include <sluice/plugin.hpp>

namespace {

int never_called(void*, char*, std::size_t) {
  return 0;
}

const SluicePluginDescriptor descriptor = {
#ifdef FORGE_MAGIC
    0x0123456789ABCDEFULL,
#else
    SLUICE_PLUGIN_MAGIC,
#endif
    static_cast<std::uint32_t>(sizeof(SluicePluginDescriptor)),
#ifdef FORGE_ABI
    SLUICE_SDK_ABI_MAJOR + 1,
    0,
#else
    SLUICE_SDK_ABI_MAJOR,
    SLUICE_SDK_ABI_MINOR,
#endif
#ifdef FORGE_TOOLCHAIN
    "GCC 13.1",
    SLUICE_BUILD_STDLIB,
    108300,
#else
    SLUICE_BUILD_COMPILER,
    SLUICE_BUILD_STDLIB,
    BOOST_VERSION,
#endif
    "forged",
    "9.9.9",
    "A descriptor for the loader's refusal tests.",
    &never_called,
    {}};

} // namespace

extern "C" __attribute__((visibility("default"))) const SluicePluginDescriptor*
SLUICE_PLUGIN_ENTRY() {
  return &descriptor;
}
