// A complete Sluice plugin: one node type, `hello.greet`, that waits a little and greets.
#include <sluice/plugin.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

static void register_types(sluice::Registrar& registrar) {
  sluice::NodeType greet;
  greet.spec.type = "hello.greet";
  greet.spec.description = "Greets `name` after `delay_ms` milliseconds.";
  greet.spec.settings = {
      {"name", sluice::SettingType::string, "Who to greet.", true, {}},
      {"delay_ms", sluice::SettingType::integer, "How long to think first.", false, 10},
  };
  greet.spec.outputs = {{"greeting", sluice::SettingType::string, "The greeting."}};
  greet.run_async = [](sluice::Context& ctx) -> boost::asio::awaitable<sluice::Value> {
    if (ctx.setting("name").as_string().empty())
      throw sluice::NodeError(sluice::ErrorCategory::invalid_input, "name must not be empty");
    boost::asio::steady_timer timer(ctx.executor(),
                                    std::chrono::milliseconds(ctx.setting("delay_ms").as_int()));
    co_await timer.async_wait(boost::asio::use_awaitable); // cancellable by the run
    std::string greeting = "Hello, " + std::string(ctx.setting("name").as_string()) + "!";
    co_return sluice::Value::object({{"greeting", greeting}});
  };
  registrar.add(std::move(greet));
}

SLUICE_PLUGIN("hello", "1.0.0", "Greets people (the SDK's example plugin).", register_types)
