// A plugin that adds a settings check to a node type it does not register (testgood.echo):
// refused as a whole, so no plugin can change how another plugin's nodes are validated.
#include <sluice/plugin.hpp>

namespace {

void register_types(sluice::Registrar& registrar) {
  sluice::NodeType own;
  own.spec.type = "testforeign.own";
  own.run_sync = [](sluice::Context&) { return sluice::Value(); };
  registrar.add(std::move(own));
  registrar.add_settings_check("testgood.echo", [](const sluice::KnownSettings&) {
    return std::vector<sluice::SettingProblem>{{"value", "always wrong"}};
  });
}

} // namespace

SLUICE_PLUGIN("testforeign", "1.0.0", "Checks another plugin's settings.", register_types)
