// Builds the JSON Schema of pipeline files from the engine's node types, so editors can check
// each node's settings by its type; settings also accept `{{ ... }}` templates.

#include <sluice/schema.hpp>

namespace sluice {

namespace {

// A setting's schema: its type, or a template string (typed only at run time).
Value setting_schema(const SettingSpec& setting) {
  Object schema;
  if (!setting.description.empty())
    schema.emplace_back("description", setting.description);
  if (!setting.default_value.is_null())
    schema.emplace_back("default", setting.default_value);
  if (setting.type == SettingType::any || setting.type == SettingType::string) {
    if (setting.type == SettingType::string)
      schema.emplace_back("type", "string");
    return Value(std::move(schema));
  }
  const Value typed = Object{{"type", std::string(to_string(setting.type))}};
  const Value templated = Object{{"type", "string"}, {"pattern", "\\{\\{"}};
  schema.emplace_back("anyOf", Array{typed, templated});
  return Value(std::move(schema));
}

Value with_schema(const NodeSpec& spec) {
  Object properties;
  Array required;
  for (const SettingSpec& setting : spec.settings) {
    properties.emplace_back(setting.name, setting_schema(setting));
    if (setting.required)
      required.push_back(setting.name);
  }
  Object schema{{"type", "object"},
                {"properties", Value(std::move(properties))},
                {"additionalProperties", false}};
  if (!required.empty())
    schema.emplace_back("required", Value(std::move(required)));
  return Value(std::move(schema));
}

Value duration_schema(const char* description) {
  return Object{
      {"description", description},
      {"anyOf", Array{Object{{"type", "integer"}, {"minimum", 0}},
                      Object{{"type", "string"}, {"pattern", "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)?$"}}}}};
}

Value node_schema(const std::vector<const NodeSpec*>& types) {
  Array type_names;
  Array per_type;
  for (const NodeSpec* spec : types) {
    type_names.push_back(spec->type);
    per_type.push_back(
        Object{{"if", Object{{"properties", Object{{"type", Object{{"const", spec->type}}}}}}},
               {"then", Object{{"properties", Object{{"with", with_schema(*spec)}}}}}});
  }
  Object type_property{{"description", "The node type (see `sluice nodes`)."}};
  type_property.emplace_back("enum", Value(std::move(type_names)));
  const Value string_list = Object{{"type", "array"}, {"items", Object{{"type", "string"}}}};
  Object properties{
      {"type", Value(std::move(type_property))},
      {"description", Object{{"type", "string"}}},
      {"with", Object{{"type", "object"}, {"description", "The node's settings."}}},
      {"needs", Object{{"description", "Nodes that must finish first."},
                       {"anyOf", Array{Object{{"type", "string"}}, string_list}}}},
      {"if", Object{{"description", "Skip the node when this is false."},
                    {"type", Array{"boolean", "string"}}}},
      {"for_each", Object{{"description", "A template yielding a list; runs once per element."},
                          {"type", "string"}}},
      {"concurrency", Object{{"type", "integer"}, {"minimum", 1}}},
      {"retry",
       Object{{"anyOf",
               Array{Object{{"type", "integer"}, {"minimum", 1}},
                     Object{{"type", "object"},
                            {"properties",
                             Object{{"attempts", Object{{"type", "integer"}, {"minimum", 1}}},
                                    {"backoff", duration_schema("First retry delay.")},
                                    {"max_backoff", duration_schema("Longest retry delay.")}}},
                            {"additionalProperties", false}}}}}},
      {"timeout", duration_schema("Per attempt, e.g. 250ms, 2s, 5m.")},
      {"on_error", Object{{"enum", Array{"fail", "continue"}}}},
  };
  return Object{{"type", "object"},
                {"required", Array{"type"}},
                {"properties", Value(std::move(properties))},
                {"additionalProperties", false},
                {"allOf", Value(std::move(per_type))}};
}

// `triggers:`, `concurrency:` and `on_restart:` (what `sluice serve` reads).
Value triggers_schema() {
  const Value text = Object{{"type", "string"}, {"minLength", 1}};
  const Value duration = Object{{"type", Array{"string", "integer"}}};
  const Value schedule = Object{
      {"type", "object"},
      {"required", Array{"cron"}},
      {"properties",
       Object{{"cron", text},
              {"timezone", text},
              {"missed", Object{{"enum", Array{"none", "last", "all"}}}},
              {"max_catch_up", Object{{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}},
              {"overlap", Object{{"enum", Array{"skip", "queue", "allow"}}}},
              {"inputs", Object{{"type", "object"}}}}},
      {"additionalProperties", false}};
  const Value secret = Object{
      {"type", "object"},
      {"required", Array{"connection"}},
      {"properties", Object{{"connection", text}, {"header", text}, {"tolerance", duration}}},
      {"additionalProperties", false}};
  const Value auth =
      Object{{"oneOf", Array{Object{{"const", "none"}},
                             Object{{"type", "object"},
                                    {"properties", Object{{"bearer", secret}, {"hmac", secret}}},
                                    {"minProperties", 1},
                                    {"maxProperties", 1},
                                    {"additionalProperties", false}}}}};
  const Value webhook = Object{
      {"type", "object"},
      {"required", Array{"path", "auth"}},
      {"properties", Object{{"path", Object{{"type", "string"}, {"pattern", "^/hooks/"}}},
                            {"auth", auth},
                            {"headers", Object{{"type", "object"}, {"additionalProperties", text}}},
                            {"wait", duration}}},
      {"additionalProperties", false}};
  const Value trigger = Object{{"type", "object"},
                               {"minProperties", 1},
                               {"maxProperties", 1},
                               {"properties", Object{{"schedule", schedule}, {"webhook", webhook}}},
                               {"additionalProperties", false}};
  return Object{{"type", "array"}, {"items", trigger}};
}

Value concurrency_schema() {
  return Object{{"type", "object"},
                {"properties",
                 Object{{"limit", Object{{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}}},
                        {"when_full", Object{{"enum", Array{"queue", "skip", "fail"}}}}}},
                {"additionalProperties", false}};
}

} // namespace

Value pipeline_schema(const Engine& engine) {
  const Value input =
      Object{{"type", "object"},
             {"properties", Object{{"type", Object{{"enum", Array{"string", "integer", "number",
                                                                  "boolean", "array", "object"}}}},
                                   {"default", Object{}},
                                   {"required", Object{{"type", "boolean"}}},
                                   {"description", Object{{"type", "string"}}}}},
             {"additionalProperties", false}};
  return Object{
      {"$schema", "https://json-schema.org/draft/2020-12/schema"},
      {"title", "Sluice pipeline"},
      {"type", "object"},
      {"required", Array{"version", "nodes"}},
      {"additionalProperties", false},
      {"properties",
       Object{{"version", Object{{"const", 1}}},
              {"name", Object{{"type", "string"}}},
              {"description", Object{{"type", "string"}}},
              {"inputs", Object{{"type", "object"}, {"additionalProperties", input}}},
              {"nodes", Object{{"type", "object"},
                               {"additionalProperties", node_schema(engine.node_types())}}},
              {"outputs", Object{{"type", "object"}}},
              {"triggers", triggers_schema()},
              {"concurrency", concurrency_schema()},
              {"on_restart", Object{{"enum", Array{"interrupted", "rerun"}}}}}}};
}

} // namespace sluice
