// The core.* node types. They are compiled into the engine but registered through the same
// Registrar API a plugin uses, so they are no different from any other node type.

#include "registry.hpp"
#include <sluice/duration.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <ctime>
#include <string>

namespace sluice::detail {

namespace {

namespace asio = boost::asio;

NodeType template_node() {
  NodeType t;
  t.spec.type = "core.template";
  t.spec.description = "Renders a text template; `{{ ... }}` parts are evaluated per run.";
  t.spec.settings = {{"template", SettingType::any, "The text to render.", true, {}}};
  t.spec.outputs = {{"text", SettingType::string, "The rendered text."}};
  // Templates are evaluated by the engine before the node runs; the node turns the result
  // into text (a template that is one reference may yield a non-string value).
  t.run_sync = [](Context& ctx) -> Value {
    return Value::object({{"text", ctx.setting("template").to_text()}});
  };
  return t;
}

NodeType time_node() {
  NodeType t;
  t.spec.type = "core.time";
  t.spec.description = "The current time (UTC), moved by `offset`: for start times and date "
                       "ranges, e.g. offset 7d for a week from now.";
  t.spec.settings = {
      {"offset", SettingType::string,
       "A duration to add (`90m`, `2h`, `7d`), or subtract with a leading '-'.", false,
       Value("0s")},
      {"round_to",
       SettingType::string,
       "Round down to a multiple of this duration (e.g. `1h` for a whole hour).",
       false,
       {}},
  };
  t.spec.outputs = {
      {"utc", SettingType::string, "yyyy-MM-ddTHH:mm:ssZ"},
      {"date", SettingType::string, "yyyy-mm-dd (UTC)"},
      {"unix", SettingType::integer, "Seconds since 1970-01-01T00:00:00Z."},
  };
  t.run_sync = [](Context& ctx) -> Value {
    const auto duration_of = [](std::string_view name, std::string_view text) {
      const bool negative = !text.empty() && text.front() == '-';
      const auto parsed = parse_duration(negative ? text.substr(1) : text);
      if (!parsed)
        throw NodeError(ErrorCategory::invalid_input,
                        std::string(name) + " '" + std::string(text) +
                            "' is not a duration (use e.g. 250ms, 2s, 5m, 1h, 7d)");
      return negative ? -*parsed : *parsed;
    };
    auto now =
        std::chrono::system_clock::now() + duration_of("offset", ctx.setting("offset").as_string());
    if (const Value& round = ctx.setting("round_to"); round.is_string()) {
      const auto step = duration_of("round_to", round.as_string());
      if (step.count() <= 0)
        throw NodeError(ErrorCategory::invalid_input, "round_to must be positive");
      const auto since =
          std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
      now = std::chrono::system_clock::time_point(since - since % step);
    }
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char utc[32];
    char date[16];
    std::strftime(utc, sizeof utc, "%Y-%m-%dT%H:%M:%SZ", &parts);
    std::strftime(date, sizeof date, "%Y-%m-%d", &parts);
    return Value::object({{"utc", std::string_view(utc)},
                          {"date", std::string_view(date)},
                          {"unix", static_cast<std::int64_t>(seconds)}});
  };
  return t;
}

NodeType json_node() {
  NodeType t;
  t.spec.type = "core.json";
  t.spec.description =
      "Parses a JSON string (`text`) or takes a value (`value`), then picks `path` from it.";
  t.spec.settings = {
      {"text", SettingType::string, "JSON text to parse.", false, {}},
      {"value", SettingType::any, "A value to pick from instead of parsing text.", false, {}},
      {"path", SettingType::string, "Path to pick, e.g. `items[0].id`; empty: the whole value.",
       false, Value("")},
  };
  t.spec.outputs = {{"value", SettingType::any, "The parsed (and picked) value."}};
  t.run_sync = [](Context& ctx) -> Value {
    const Value& text = ctx.setting("text");
    const Value& given = ctx.setting("value");
    if (text.is_null() == given.is_null())
      throw NodeError(ErrorCategory::invalid_input, "core.json needs exactly one of 'text' and "
                                                    "'value'");
    Value document;
    if (!text.is_null()) {
      try {
        document = Value::parse_json(text.as_string());
      } catch (const JsonError& e) {
        throw NodeError(ErrorCategory::invalid_input, std::string("invalid JSON: ") + e.what());
      }
    } else {
      document = given;
    }
    Path path;
    try {
      path = Path::parse(ctx.setting("path").as_string());
    } catch (const std::invalid_argument& e) {
      throw NodeError(ErrorCategory::invalid_input, std::string("invalid path: ") + e.what());
    }
    const Value* picked = document.find(path);
    if (!picked)
      throw NodeError(ErrorCategory::not_found,
                      "path '" + path.to_string() + "' not found in the document");
    return Value::object({{"value", *picked}});
  };
  return t;
}

NodeType delay_node() {
  NodeType t;
  t.spec.type = "core.delay";
  t.spec.description = "Waits `ms` milliseconds without blocking a thread; cancellable.";
  t.spec.settings = {{"ms", SettingType::integer, "How long to wait, in milliseconds.", true, {}}};
  t.spec.outputs = {{"ms", SettingType::integer, "The milliseconds waited."}};
  t.run_async = [](Context& ctx) -> asio::awaitable<Value> {
    const std::int64_t ms = ctx.setting("ms").as_int();
    if (ms < 0)
      throw NodeError(ErrorCategory::invalid_input, "core.delay: 'ms' must not be negative");
    asio::steady_timer timer(ctx.executor(), std::chrono::milliseconds(ms));
    // Cancellation of the run reaches this wait through the coroutine's cancellation slot.
    co_await timer.async_wait(asio::use_awaitable);
    co_return Value::object({{"ms", ms}});
  };
  return t;
}

NodeType log_node() {
  NodeType t;
  t.spec.type = "core.log";
  t.spec.description = "Writes `message` to the run's log.";
  t.spec.settings = {
      {"message", SettingType::any, "What to write (any value; non-strings as JSON).", true, {}},
      {"level", SettingType::string, "debug, info, warning or error.", false, Value("info")},
  };
  t.spec.outputs = {{"message", SettingType::string, "The text written."}};
  t.run_sync = [](Context& ctx) -> Value {
    const std::string_view level_name = ctx.setting("level").as_string();
    LogLevel level = LogLevel::info;
    if (level_name == "debug")
      level = LogLevel::debug;
    else if (level_name == "warning")
      level = LogLevel::warning;
    else if (level_name == "error")
      level = LogLevel::error;
    else if (level_name != "info")
      throw NodeError(ErrorCategory::invalid_input, "core.log: unknown level '" +
                                                        std::string(level_name) +
                                                        "'; use debug, info, warning or error");
    std::string text = ctx.setting("message").to_text();
    ctx.log(level, text);
    return Value::object({{"message", std::move(text)}});
  };
  return t;
}

NodeType fail_node() {
  NodeType t;
  t.spec.type = "core.fail";
  t.spec.description = "Fails with `message` and `category`; with `succeed_on_attempt` it "
                       "fails until that attempt, to show retries.";
  t.spec.settings = {
      {"message", SettingType::string, "The failure message.", false, Value("failed on purpose")},
      {"category", SettingType::string,
       "Error category: invalid_input, permission, not_found, conflict, transient, "
       "rate_limited, timeout, internal, permanent.",
       false, Value("internal")},
      {"succeed_on_attempt", SettingType::integer, "Succeed from this attempt on (0: always fail).",
       false, Value(0)},
  };
  t.spec.outputs = {{"attempt", SettingType::integer, "The attempt that succeeded."}};
  t.run_sync = [](Context& ctx) -> Value {
    const std::string_view name = ctx.setting("category").as_string();
    const auto category = parse_error_category(name);
    if (!category || *category == ErrorCategory::cancelled)
      throw NodeError(ErrorCategory::invalid_input,
                      "core.fail: unknown category '" + std::string(name) + "'");
    const std::int64_t succeed_on = ctx.setting("succeed_on_attempt").as_int();
    if (succeed_on > 0 && ctx.attempt() >= succeed_on)
      return Value::object({{"attempt", ctx.attempt()}});
    throw NodeError(*category, std::string(ctx.setting("message").as_string()));
  };
  return t;
}

NodeType merge_node() {
  NodeType t;
  t.spec.type = "core.merge";
  t.spec.description = "Combines `values`: `first` non-null one, or `all` non-null ones.";
  t.spec.settings = {
      {"values", SettingType::array, "The candidates, usually references.", true, {}},
      {"mode", SettingType::string, "first or all.", false, Value("first")},
  };
  t.spec.outputs = {{"value", SettingType::any, "The first non-null value, or the list."}};
  t.run_sync = [](Context& ctx) -> Value {
    const std::string_view mode = ctx.setting("mode").as_string();
    const auto values = ctx.setting("values").as_array();
    if (mode == "first") {
      for (const Value& v : values)
        if (!v.is_null())
          return Value::object({{"value", v}});
      return Value::object({{"value", Value()}});
    }
    if (mode == "all") {
      Array all;
      for (const Value& v : values)
        if (!v.is_null())
          all.push_back(v);
      return Value::object({{"value", Value(std::move(all))}});
    }
    throw NodeError(ErrorCategory::invalid_input,
                    "core.merge: unknown mode '" + std::string(mode) + "'; use first or all");
  };
  return t;
}

} // namespace

void register_core_nodes(Registrar& registrar) {
  // None reaches outside the run (core.log writes to the run's observers): a dry run, even
  // an offline one, runs them all.
  for (NodeType type : {time_node(), template_node(), json_node(), delay_node(), log_node(),
                        fail_node(), merge_node()}) {
    const std::string name = type.spec.type;
    registrar.add(std::move(type));
    registrar.declare_reach(name, Reach::nothing);
  }
}

} // namespace sluice::detail
