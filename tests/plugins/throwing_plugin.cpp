// A plugin whose registration throws: the host reports it and loads the others.
#include <sluice/plugin.hpp>

#include <stdexcept>

namespace {
void register_types(sluice::Registrar&) {
  throw std::runtime_error("the configuration file /etc/nowhere is missing");
}
} // namespace

SLUICE_PLUGIN("testthrows", "0.1.0", "Throws while registering.", register_types)
