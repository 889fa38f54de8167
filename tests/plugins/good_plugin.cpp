// A well-formed test plugin: a synchronous node with a settings check (SDK 1.5) and an
// asynchronous one that arms a timer on the host's executor (the shared-Asio-state canary).
#include <sluice/plugin.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#ifndef TEST_PLUGIN_NAME
#define TEST_PLUGIN_NAME "testgood"
#endif

namespace {

void register_types(sluice::Registrar& registrar) {
  sluice::NodeType echo;
  echo.spec.type = "testgood.echo";
  echo.spec.description = "Returns `value`.";
  echo.spec.settings = {{"value", sluice::SettingType::any, "What to return.", true, {}}};
  echo.spec.outputs = {{"value", sluice::SettingType::any, "The value."}};
  echo.run_sync = [](sluice::Context& ctx) -> sluice::Value {
    return sluice::Object{{"value", ctx.setting("value")}};
  };
  registrar.add(std::move(echo));
  // A literal "bad" value is refused when the pipeline is loaded.
  registrar.add_settings_check("testgood.echo", [](const sluice::KnownSettings& known) {
    std::vector<sluice::SettingProblem> problems;
    if (const sluice::Value* value = known.literals.find("value");
        value && value->is_string() && value->as_string() == "bad")
      problems.push_back({"value", "\"bad\" is refused by testgood's check"});
    return problems;
  });

  sluice::NodeType sleep;
  sleep.spec.type = "testgood.sleep";
  sleep.spec.description = "Waits `ms` on a timer armed by plugin code.";
  sleep.spec.settings = {{"ms", sluice::SettingType::integer, "Milliseconds.", true, {}}};
  sleep.spec.outputs = {{"slept", sluice::SettingType::integer, "Milliseconds slept."}};
  sleep.run_async = [](sluice::Context& ctx) -> boost::asio::awaitable<sluice::Value> {
    const auto ms = ctx.setting("ms").as_int();
    boost::asio::steady_timer timer(ctx.executor(), std::chrono::milliseconds(ms));
    co_await timer.async_wait(boost::asio::use_awaitable);
    co_return sluice::Object{{"slept", ms}};
  };
  registrar.add(std::move(sleep));
}

} // namespace

SLUICE_PLUGIN(TEST_PLUGIN_NAME, "1.2.3", "A well-formed plugin for tests.", register_types)
