// A plugin that registers a node type another plugin already registered.
#include <sluice/plugin.hpp>

namespace {
void register_types(sluice::Registrar& registrar) {
  sluice::NodeType echo;
  echo.spec.type = "testgood.echo";
  echo.run_sync = [](sluice::Context&) -> sluice::Value { return sluice::Object{}; };
  registrar.add(std::move(echo));
}
} // namespace

SLUICE_PLUGIN("testdup", "0.1.0", "Registers a type that is taken.", register_types)
