// `sluice validate`, `graph`, `nodes` and `inspect`: commands that look, not run.

#include "commands.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <map>

namespace sluice::cli {

std::optional<Pipeline> load_or_report(Engine& engine, const std::string& file) {
  try {
    return engine.load_file(file);
  } catch (const LoadError& e) {
    for (const Diagnostic& d : e.diagnostics())
      std::cerr << d.to_string() << '\n';
    const std::size_t n = e.diagnostics().size();
    std::cerr << fmt::format("{} error{} in {}\n", n, n == 1 ? "" : "s", file);
    return std::nullopt;
  }
}

namespace {

// What makes the pipeline run by itself, for the line `validate` prints: each schedule with
// its zone and next fire time, each webhook's path.
std::string triggers_summary(const Pipeline& pipeline) {
  std::string text;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  for (const ScheduleTrigger& trigger : pipeline.triggers().schedules) {
    const auto next = trigger.schedule.next_after(now);
    text += fmt::format("; schedule {} ({}), next {}", trigger.schedule.cron(),
                        trigger.schedule.time_zone(), next ? to_iso8601(*next) : "never");
  }
  for (const WebhookTrigger& trigger : pipeline.triggers().webhooks)
    text += fmt::format("; webhook {}", trigger.path);
  return text;
}

// A webhook path served by two of the files `sluice serve` would be given together.
struct ServedPath {
  std::string file;
  SourceMark mark;
};

} // namespace

int validate_command(const std::vector<std::string>& files, const PluginArgs& plugins,
                     const Limits& limits) {
  auto owned = make_engine(1, plugins, {}, limits);
  Engine& engine = *owned;
  int status = exit_ok;
  std::map<std::string, ServedPath> webhook_paths;
  for (const std::string& file : files) {
    auto pipeline = load_or_report(engine, file);
    if (!pipeline) {
      status = exit_usage;
      continue;
    }
    bool clash = false;
    for (const WebhookTrigger& webhook : pipeline->triggers().webhooks) {
      const auto [first, added] =
          webhook_paths.try_emplace(webhook.path, ServedPath{file, webhook.mark});
      if (added)
        continue;
      clash = true;
      std::cerr << Diagnostic{file, webhook.mark,
                              "webhook path '" + webhook.path + "' is also served by " +
                                  first->second.file + ":" +
                                  std::to_string(first->second.mark.line) + ":" +
                                  std::to_string(first->second.mark.column),
                              "pipelines served together need paths of their own"}
                       .to_string()
                << '\n';
    }
    if (clash) {
      status = exit_usage;
      continue;
    }
    std::cout << fmt::format("{}: ok ({} node{}{})\n", file, pipeline->node_count(),
                             pipeline->node_count() == 1 ? "" : "s", triggers_summary(*pipeline));
  }
  return status;
}

int graph_command(const std::string& file, const std::string& format, const PluginArgs& plugins,
                  const Limits& limits) {
  auto owned = make_engine(1, plugins, {}, limits);
  Engine& engine = *owned;
  auto pipeline = load_or_report(engine, file);
  if (!pipeline)
    return exit_usage;
  std::cout << (format == "mermaid" ? pipeline->to_mermaid() : pipeline->to_dot());
  return exit_ok;
}

namespace {

// The side-effects rule as JSON: {setting, values}, or null.
Value side_effects_unless(const std::optional<SideEffectsRule>& rule) {
  if (!rule)
    return Value();
  Array values;
  for (const std::string& value : rule->none_when)
    values.push_back(Value(value));
  return Object{{"setting", Value(rule->setting)}, {"values", Value(std::move(values))}};
}

std::string_view reach_name(Reach reach) {
  switch (reach) {
  case Reach::nothing:
    return "nothing";
  case Reach::http_only:
    return "http_only";
  case Reach::unknown:
    break;
  }
  return "unknown";
}

// What a dry run does with a node of the type (README, "Dry runs").
std::string dry_run_text(const NodeSpec& spec, Reach reach) {
  switch (reach) {
  case Reach::nothing:
    return "runs (it reaches nothing outside the run)";
  case Reach::http_only:
    return "runs, and what it would send that could change something is shown, not sent";
  case Reach::unknown:
    break;
  }
  return spec.side_effects ? "not run (its type does not say how it reaches out)"
                           : "runs; not run offline (its type does not say how it reaches out)";
}

Value spec_json(const NodeSpec& spec, const std::optional<SideEffectsRule>& rule, Reach reach) {
  Array settings;
  for (const SettingSpec& s : spec.settings) {
    Object entry{{"name", s.name},
                 {"type", std::string(to_string(s.type))},
                 {"required", s.required},
                 {"description", s.description}};
    if (!s.default_value.is_null())
      entry.emplace_back("default", s.default_value);
    settings.push_back(Value(std::move(entry)));
  }
  Array outputs;
  for (const OutputSpec& o : spec.outputs)
    outputs.push_back(Object{{"name", o.name},
                             {"type", std::string(to_string(o.type))},
                             {"description", o.description}});
  Array requirements;
  for (const std::string& r : spec.requirements)
    requirements.push_back(r);
  return Object{{"type", spec.type},
                {"description", spec.description},
                {"settings", Value(std::move(settings))},
                {"outputs", Value(std::move(outputs))},
                {"requirements", Value(std::move(requirements))},
                {"side_effects", spec.side_effects},
                {"side_effects_unless", side_effects_unless(rule)},
                {"idempotent", spec.idempotent},
                {"reach", std::string(reach_name(reach))}};
}

// "yes", or "yes, none when method is GET, HEAD or OPTIONS".
std::string side_effects_text(const NodeSpec& spec, const std::optional<SideEffectsRule>& rule) {
  if (!spec.side_effects)
    return "no";
  if (!rule)
    return "yes";
  std::string values;
  for (std::size_t i = 0; i < rule->none_when.size(); ++i)
    values += (i == 0 ? "" : i + 1 == rule->none_when.size() ? " or " : ", ") + rule->none_when[i];
  return "yes, none when " + rule->setting + " is " + values + " (written as a literal)";
}

} // namespace

int nodes_command(bool json, const PluginArgs& plugins) {
  auto owned = make_engine(1, plugins);
  Engine& engine = *owned;
  const auto types = engine.node_types();
  if (json) {
    Array all;
    for (const NodeSpec* spec : types)
      all.push_back(spec_json(*spec, engine.find_side_effects_rule(spec->type),
                              engine.find_reach(spec->type)));
    std::cout << Value(std::move(all)).to_json(true) << '\n';
    return exit_ok;
  }
  std::size_t width = 0;
  for (const NodeSpec* spec : types)
    width = std::max(width, spec->type.size());
  for (const NodeSpec* spec : types)
    std::cout << fmt::format("{:<{}}  {}\n", spec->type, width, spec->description);
  return exit_ok;
}

int inspect_command(const std::string& type, bool json, const PluginArgs& plugins) {
  auto owned = make_engine(1, plugins);
  Engine& engine = *owned;
  const NodeSpec* spec = engine.find_node_type(type);
  if (!spec) {
    std::cerr << "sluice: error: unknown node type '" << type
              << "'\n  hint: run `sluice nodes` to list node types\n";
    return exit_usage;
  }
  const std::optional<SideEffectsRule> rule = engine.find_side_effects_rule(type);
  if (json) {
    std::cout << spec_json(*spec, rule, engine.find_reach(type)).to_json(true) << '\n';
    return exit_ok;
  }
  std::cout << spec->type << "\n  " << spec->description << "\n\nSettings (under `with:`):\n";
  if (spec->settings.empty())
    std::cout << "  (none)\n";
  for (const SettingSpec& s : spec->settings) {
    std::string line = fmt::format("  {:<18} {:<8} {}", s.name, to_string(s.type),
                                   s.required ? "required" : "optional");
    if (!s.default_value.is_null())
      line += ", default " + s.default_value.to_json();
    std::cout << line << "\n      " << s.description << '\n';
  }
  std::cout << "\nOutputs (`{{ node.<name> }}`):\n";
  if (spec->outputs.empty())
    std::cout << "  (not declared)\n";
  for (const OutputSpec& o : spec->outputs)
    std::cout << fmt::format("  {:<18} {:<8} {}\n", o.name, to_string(o.type), o.description);
  std::cout << "\nRequirements:\n";
  if (spec->requirements.empty())
    std::cout << "  (none)\n";
  for (const std::string& r : spec->requirements)
    std::cout << "  " << r << '\n';
  std::cout << fmt::format("\nSide effects: {}\nIdempotent:   {}\nDry run:      {}\n",
                           side_effects_text(*spec, rule), spec->idempotent ? "yes" : "no",
                           dry_run_text(*spec, engine.find_reach(type)));
  return exit_ok;
}

} // namespace sluice::cli
