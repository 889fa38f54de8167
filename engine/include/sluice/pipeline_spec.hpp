#pragma once
/// @file
/// `PipelineSpec`: a pipeline as declared, before validation. The YAML loader produces one;
/// an application may also build one in code and hand it to `Engine::compile`.

#include <sluice/diagnostic.hpp>
#include <sluice/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sluice {

/// A declared value with the position it came from. Strings may hold `{{ ... }}` templates.
struct SpecField {
  Value value;
  SourceMark mark;
};

/// One entry of `inputs:`.
struct InputDecl {
  std::string name;
  SourceMark mark;
  /// string, integer, number, boolean, array or object.
  std::string type = "string";
  SourceMark type_mark;
  std::optional<Value> default_value;
  bool required = false;
  std::string description;
};

/// One setting under a node's `with:`.
struct SettingDecl {
  std::string name;
  Value value;
  /// Where the value starts (type and template errors point here).
  SourceMark mark;
  /// Where the key is (unknown-setting errors point here); unknown: use `mark`.
  SourceMark key_mark{};
};

/// One entry of `nodes:`.
struct NodeDecl {
  std::string id;
  SourceMark mark;
  std::string type;
  SourceMark type_mark;
  std::string description;
  std::vector<SettingDecl> with;
  /// Extra ordering: ids of nodes that must finish first.
  std::vector<SpecField> needs;
  /// `if:` a boolean or a template; the node is skipped when it is false.
  std::optional<SpecField> condition;
  /// `for_each:` a template that yields an array.
  std::optional<SpecField> for_each;
  /// `concurrency:` (with for_each) the most elements in flight; unset: all.
  std::optional<SpecField> concurrency;
  /// `retry:` attempts (integer), backoff and max_backoff (durations such as `250ms`).
  std::optional<SpecField> retry_attempts;
  std::optional<SpecField> retry_backoff;
  std::optional<SpecField> retry_max_backoff;
  /// `timeout:` a duration.
  std::optional<SpecField> timeout;
  /// `on_error:` `fail` (default) or `continue`.
  std::optional<SpecField> on_error;
};

/// One entry of `outputs:`: a template evaluated after the run.
struct OutputDecl {
  std::string name;
  Value value;
  SourceMark mark;
};

/// One entry of `triggers:`: `schedule` or `webhook`, and the settings in the map under it.
struct TriggerDecl {
  std::string kind;
  /// Where the kind's key is.
  SourceMark mark;
  std::vector<SettingDecl> with;
};

/// A whole pipeline as declared.
struct PipelineSpec {
  /// Shown in diagnostics; `<string>` or `<code>` when not loaded from a file.
  std::string file = "<code>";
  SourceMark mark;
  int version = 1;
  std::string name;
  std::string description;
  std::vector<InputDecl> inputs;
  std::vector<NodeDecl> nodes;
  std::vector<OutputDecl> outputs;
  /// For `sluice serve`: `triggers:`, the settings under `concurrency:`, and `on_restart:`.
  std::vector<TriggerDecl> triggers;
  std::vector<SettingDecl> concurrency;
  std::optional<SpecField> on_restart;
};

} // namespace sluice
