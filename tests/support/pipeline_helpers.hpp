// What the loader and compiler tests share (test_yaml_loader, test_compiler): a registry of
// stand-ins for the core nodes, errors_of() to load a pipeline the way Engine::load_string
// does and list its diagnostics, and the README's example pipeline.
#pragma once

#include "compiler.hpp"
#include "registry.hpp"
#include "yaml_loader.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Failed comparisons of diagnostic lists print the lists, one diagnostic per line.
namespace doctest {
template <> struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string text = "\n";
    for (const std::string& line : lines)
      text += "  [" + line + "]\n";
    return String(text.c_str());
  }
};
} // namespace doctest

// Each test executable includes this from one file; `inline` keeps helpers a file does not
// use from warning as unused.
namespace test_support {

using sluice::Context;
using sluice::Diagnostic;
using sluice::LoadError;
using sluice::NodeType;
using sluice::OutputSpec;
using sluice::PipelineSpec;
using sluice::SettingSpec;
using sluice::SettingType;
using sluice::Value;
using sluice::detail::compile_plan;
using sluice::detail::parse_pipeline_yaml;
using sluice::detail::Registry;
using sluice::detail::SpecOrigin;

inline NodeType sync_type(std::string name, std::vector<SettingSpec> settings,
                          std::vector<OutputSpec> outputs) {
  NodeType type;
  type.spec.type = std::move(name);
  type.spec.settings = std::move(settings);
  type.spec.outputs = std::move(outputs);
  type.run_sync = [](Context&) { return Value(); };
  return type;
}

// Stand-ins for the core nodes, declared like them; only their declarations matter here.
inline const Registry& registry() {
  static const Registry* instance = [] {
    auto* r = new Registry;
    r->add(sync_type("core.template", {{"template", SettingType::string, "", true, {}}},
                     {{"text", SettingType::string, ""}}));
    NodeType delay;
    delay.spec.type = "core.delay";
    delay.spec.settings = {{"ms", SettingType::integer, "", true, {}}};
    delay.spec.outputs = {{"ms", SettingType::integer, ""}};
    delay.run_async = [](Context&) -> boost::asio::awaitable<Value> { co_return Value(); };
    r->add(std::move(delay));
    r->add(sync_type("core.merge",
                     {{"values", SettingType::array, "", true, {}},
                      {"mode", SettingType::string, "", false, Value("first")}},
                     {{"value", SettingType::any, ""}}));
    r->add(sync_type("core.echo", {{"value", SettingType::any, "", false, {}}}, {}));
    return r;
  }();
  return *instance;
}

// Loads like Engine::load_string: loader problems and compiler problems, in file order.
inline std::vector<std::string> errors_of(std::string_view yaml,
                                          const sluice::Limits& limits = {}) {
  std::vector<Diagnostic> diagnostics;
  const PipelineSpec spec = parse_pipeline_yaml(yaml, "p.yaml", diagnostics, limits);
  try {
    (void)compile_plan(spec, registry(), limits, SpecOrigin::loader);
  } catch (const LoadError& e) {
    diagnostics.insert(diagnostics.end(), e.diagnostics().begin(), e.diagnostics().end());
  }
  std::stable_sort(
      diagnostics.begin(), diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::pair(a.mark.line, a.mark.column) < std::pair(b.mark.line, b.mark.column);
      });
  std::vector<std::string> out;
  out.reserve(diagnostics.size());
  for (const Diagnostic& d : diagnostics)
    out.push_back(d.to_string());
  return out;
}

using Errors = std::vector<std::string>;

inline constexpr std::string_view example = R"yaml(version: 1
name: greet
description: optional text
inputs:
  who: { type: string, default: world, description: "..." }
nodes:
  hello:
    type: core.template
    with: { template: "Hello, {{ inputs.who }}!" }
  wait_a: { type: core.delay, with: { ms: 500 } }
  wait_b: { type: core.delay, with: { ms: 500 } }
  shout:
    type: core.template
    needs: [wait_a, wait_b]
    with: { template: "{{ hello.text }} (after both waits)" }
outputs:
  message: "{{ shout.text }}"
)yaml";

} // namespace test_support
