// YAML text -> PipelineSpec. Checks the file's shape (known keys, maps where maps belong, no
// duplicate keys) and records where everything came from; what the values mean is the
// compiler's business.

#include "yaml_loader.hpp"

#include "limit_text.hpp"
#include "yaml_reader.hpp"

#include <sluice/encoding.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sluice::detail {

namespace {

const std::vector<std::string> top_level_keys = {"version",  "name",        "description",
                                                 "inputs",   "nodes",       "outputs",
                                                 "triggers", "concurrency", "on_restart"};
const std::vector<std::string> trigger_kinds = {"schedule", "webhook"};
const std::vector<std::string> node_keys = {"type",    "description", "with",        "needs",
                                            "if",      "for_each",    "concurrency", "retry",
                                            "timeout", "on_error"};
const std::vector<std::string> retry_keys = {"attempts", "backoff", "max_backoff"};
const std::vector<std::string> input_keys = {"type", "default", "required", "description"};

class YamlLoader : public YamlReader {
public:
  using YamlReader::YamlReader;

  PipelineSpec load(std::string_view text) {
    PipelineSpec spec;
    spec.file = file_;
    spec.mark = SourceMark{1, 1};
    YamlDocument document;
    if (!read_document(text, document))
      return spec;
    if (!document.has_root() || document.root().is_null()) {
      error(spec.mark, "the pipeline is empty", "start with 'version: 1' and a 'nodes:' map");
      return spec;
    }
    const YamlNode root = document.root();
    spec.mark = root.mark();
    if (!root.is_map()) {
      error(spec.mark, "a pipeline must be a map with 'version' and 'nodes', got " + kind_of(root));
      return spec;
    }
    try {
      load_pipeline(root, spec);
    } catch (const LoadStopped&) {
      PipelineSpec empty;
      empty.file = file_;
      empty.mark = spec.mark;
      return empty;
    }
    return spec;
  }

private:
  SpecField field_of(YamlNode node, SourceMark key_mark) {
    const SourceMark mark = mark_of(node, key_mark);
    return SpecField{to_value(node, mark), mark};
  }

  // ---- pipeline ------------------------------------------------------------------------

  void load_pipeline(YamlNode root, PipelineSpec& spec) {
    bool has_version = false;
    bool has_nodes = false;
    for_each_entry(root, "duplicate key",
                   [&](const std::string& key, SourceMark key_mark, YamlNode value) {
                     const SourceMark mark = mark_of(value, key_mark);
                     if (key == "version") {
                       has_version = true;
                       load_version(value, mark, spec);
                     } else if (key == "name") {
                       if (auto text = text_of(value, mark, "'name'"))
                         spec.name = *text;
                     } else if (key == "description") {
                       if (auto text = text_of(value, mark, "'description'"))
                         spec.description = *text;
                     } else if (key == "inputs") {
                       load_inputs(value, mark, spec);
                     } else if (key == "nodes") {
                       has_nodes = true;
                       load_nodes(value, mark, spec);
                     } else if (key == "outputs") {
                       load_outputs(value, mark, spec);
                     } else if (key == "triggers") {
                       load_triggers(value, mark, spec);
                     } else if (key == "concurrency") {
                       (void)load_settings_map(value, mark, "'concurrency'", spec.concurrency);
                     } else if (key == "on_restart") {
                       spec.on_restart = field_of(value, key_mark);
                     } else {
                       unknown_key(key_mark, key, " at the top level", top_level_keys);
                     }
                   });
    if (!has_version)
      error(spec.mark, "the pipeline has no 'version'", "add 'version: 1' at the top");
    if (!has_nodes)
      error(spec.mark, "the pipeline has no 'nodes'", "add a 'nodes:' map of node ids to nodes");
  }

  void load_version(YamlNode node, SourceMark mark, PipelineSpec& spec) {
    const Value version = to_value(node, mark);
    if (!version.is_int()) {
      error(mark, "'version' must be the integer 1, got " + kind_of(node));
    } else if (version.as_int() != 1) {
      error(mark, "unsupported version " + std::to_string(version.as_int()),
            "this Sluice reads 'version: 1'");
    } else {
      return;
    }
    // Reported here, with the value's position; keep the compiler from repeating it.
    spec.version = 1;
  }

  void load_inputs(YamlNode node, SourceMark mark, PipelineSpec& spec) {
    if (node.is_null())
      return;
    if (!node.is_map()) {
      error(mark, "'inputs' must be a map of input names to declarations, got " + kind_of(node));
      return;
    }
    for_each_entry(node, "duplicate key",
                   [&](const std::string& name, SourceMark key_mark, YamlNode value) {
                     spec.inputs.push_back(load_input(name, key_mark, value));
                   });
  }

  InputDecl load_input(const std::string& name, SourceMark key_mark, YamlNode node) {
    InputDecl input;
    input.name = name;
    input.mark = key_mark;
    input.type_mark = key_mark;
    if (node.is_null())
      return input;
    if (!node.is_map()) {
      error(mark_of(node, key_mark), "input '" + name +
                                         "' must be a map (type, default, required, "
                                         "description), got " +
                                         kind_of(node));
      return input;
    }
    for_each_entry(node, "duplicate key",
                   [&](const std::string& key, SourceMark field_key_mark, YamlNode value) {
                     const SourceMark mark = mark_of(value, field_key_mark);
                     if (key == "type") {
                       input.type_mark = mark;
                       if (auto text = text_of(value, mark, "the 'type' of input", name))
                         input.type = *text;
                     } else if (key == "default") {
                       input.default_value = to_value(value, mark);
                     } else if (key == "required") {
                       const Value required = to_value(value, mark);
                       if (required.is_bool())
                         input.required = required.as_bool();
                       else
                         error(mark, "'required' of input '" + name +
                                         "' must be true or false, got " + kind_of(value));
                     } else if (key == "description") {
                       if (auto text = text_of(value, mark, "the 'description' of input", name))
                         input.description = *text;
                     } else {
                       unknown_key(field_key_mark, key, " in input '" + name + "'", input_keys);
                     }
                   });
    return input;
  }

  void load_nodes(YamlNode node, SourceMark mark, PipelineSpec& spec) {
    if (node.is_null())
      return;
    if (!node.is_map()) {
      error(mark, "'nodes' must be a map of node ids to nodes, got " + kind_of(node));
      return;
    }
    spec.nodes.reserve(std::min(node.entries(), limits_.nodes));
    for_each_entry(
        node, "duplicate node id", [&](const std::string& id, SourceMark key_mark, YamlNode value) {
          if (spec.nodes.size() >= limits_.nodes)
            stop(key_mark, too_many_nodes(limits_.nodes), how_to_raise(LimitKind::nodes));
          spec.nodes.push_back(load_node(id, key_mark, value));
        });
  }

  NodeDecl load_node(const std::string& id, SourceMark key_mark, YamlNode node) {
    NodeDecl decl;
    decl.id = id;
    decl.mark = key_mark;
    decl.type_mark = key_mark;
    const SourceMark map_mark = mark_of(node, key_mark);
    if (!node.is_map()) {
      error(map_mark, "node '" + id + "' must be a map with at least 'type', got " + kind_of(node));
      return decl;
    }
    bool has_type = false;
    for_each_entry(node, "duplicate key",
                   [&](const std::string& key, SourceMark field_key_mark, YamlNode value) {
                     const SourceMark mark = mark_of(value, field_key_mark);
                     if (key == "type") {
                       has_type = true;
                       decl.type_mark = mark;
                       if (auto text = text_of(value, mark, "the 'type' of node", id)) {
                         // `type: ""` (or a tag on nothing) is text, but names no type: the
                         // compiler counts on a node read from a file having its type or an
                         // error about it.
                         if (text->empty())
                           error(mark, "the 'type' of node '" + id + "' is empty",
                                 "use a node type such as core.template (`sluice nodes` lists "
                                 "them)");
                         decl.type = *text;
                       }
                     } else if (key == "description") {
                       if (auto text = text_of(value, mark, "the 'description' of node", id))
                         decl.description = *text;
                     } else if (key == "with") {
                       load_settings(id, value, mark, decl);
                     } else if (key == "needs") {
                       load_needs(id, value, mark, decl);
                     } else if (key == "if") {
                       decl.condition = field_of(value, field_key_mark);
                     } else if (key == "for_each") {
                       decl.for_each = field_of(value, field_key_mark);
                     } else if (key == "concurrency") {
                       decl.concurrency = field_of(value, field_key_mark);
                     } else if (key == "retry") {
                       load_retry(id, value, mark, decl);
                     } else if (key == "timeout") {
                       decl.timeout = field_of(value, field_key_mark);
                     } else if (key == "on_error") {
                       decl.on_error = field_of(value, field_key_mark);
                     } else {
                       unknown_key(field_key_mark, key, " in node '" + id + "'", node_keys);
                     }
                   });
    if (!has_type)
      error(map_mark, "node '" + id + "' has no 'type'",
            "add 'type:' with a node type such as core.template");
    return decl;
  }

  void load_settings(const std::string& id, YamlNode node, SourceMark mark, NodeDecl& decl) {
    if (node.is_null())
      return;
    if (!node.is_map()) {
      error(mark, "'with' of node '" + id + "' must be a map of settings, got " + kind_of(node));
      return;
    }
    for_each_entry(
        node, "duplicate key", [&](const std::string& name, SourceMark key_mark, YamlNode value) {
          const SourceMark value_mark = mark_of(value, key_mark);
          decl.with.push_back(SettingDecl{name, to_value(value, value_mark), value_mark, key_mark});
        });
  }

  void load_needs(const std::string& id, YamlNode node, SourceMark mark, NodeDecl& decl) {
    const std::string expected = "'needs' of node '" + id +
                                 "' must be a node id or a list of "
                                 "node ids";
    if (node.is_null())
      return;
    if (node.is_scalar()) {
      charge(node, node.text().size(), mark);
      decl.needs.push_back(SpecField{Value(std::string(node.text())), mark});
      return;
    }
    if (!node.is_sequence()) {
      error(mark, expected + ", got " + kind_of(node));
      return;
    }
    for (std::size_t i = 0; i < node.children(); ++i) {
      through(node.child(i), [&](YamlNode element) {
        const SourceMark element_mark = mark_of(element, mark);
        if (!element.is_scalar()) {
          error(element_mark, expected + ", got " + kind_of(element) + " in the list");
          return;
        }
        charge(element, element.text().size(), element_mark);
        decl.needs.push_back(SpecField{Value(std::string(element.text())), element_mark});
      });
    }
  }

  void load_retry(const std::string& id, YamlNode node, SourceMark mark, NodeDecl& decl) {
    if (node.is_scalar()) {
      // `retry: 3` is short for `retry: { attempts: 3 }`.
      decl.retry_attempts = SpecField{to_value(node, mark), mark};
      return;
    }
    if (!node.is_map()) {
      error(mark, "'retry' of node '" + id +
                      "' must be a map (attempts, backoff, max_backoff) or a number of "
                      "attempts, got " +
                      kind_of(node));
      return;
    }
    for_each_entry(node, "duplicate key",
                   [&](const std::string& key, SourceMark key_mark, YamlNode value) {
                     if (key == "attempts")
                       decl.retry_attempts = field_of(value, key_mark);
                     else if (key == "backoff")
                       decl.retry_backoff = field_of(value, key_mark);
                     else if (key == "max_backoff")
                       decl.retry_max_backoff = field_of(value, key_mark);
                     else
                       unknown_key(key_mark, key, " in 'retry' of node '" + id + "'", retry_keys);
                   });
  }

  // ---- what `sluice serve` reads ----------------------------------------------------------

  void load_triggers(YamlNode node, SourceMark mark, PipelineSpec& spec) {
    if (node.is_null())
      return;
    const std::string shape = "'triggers' must be a list of '- schedule: {...}' and "
                              "'- webhook: {...}' entries";
    if (!node.is_sequence()) {
      error(mark, shape + ", got " + kind_of(node));
      return;
    }
    for (std::size_t i = 0; i < node.children(); ++i) {
      through(node.child(i), [&](YamlNode entry) {
        const SourceMark entry_mark = mark_of(entry, mark);
        if (!entry.is_map() || entry.entries() != 1) {
          error(entry_mark,
                "a trigger must be a map with one key, 'schedule' or 'webhook', got " +
                    (entry.is_map() ? std::to_string(entry.entries()) + " keys" : kind_of(entry)));
          return;
        }
        for_each_entry(entry, "duplicate key",
                       [&](const std::string& kind, SourceMark key_mark, YamlNode settings) {
                         if (std::find(trigger_kinds.begin(), trigger_kinds.end(), kind) ==
                             trigger_kinds.end()) {
                           unknown_key(key_mark, kind, " as a trigger", trigger_kinds);
                           return;
                         }
                         TriggerDecl trigger{kind, key_mark, {}};
                         if (load_settings_map(settings, mark_of(settings, key_mark),
                                               "'" + kind + "'", trigger.with))
                           spec.triggers.push_back(std::move(trigger));
                       });
      });
    }
  }

  // A map of settings whose meaning the compiler checks: `concurrency:`, a trigger's map.
  bool load_settings_map(YamlNode node, SourceMark mark, const std::string& what,
                         std::vector<SettingDecl>& settings) {
    if (!node.is_map()) {
      error(mark, what + " must be a map of settings, got " + kind_of(node));
      return false;
    }
    for_each_entry(
        node, "duplicate key", [&](const std::string& name, SourceMark key_mark, YamlNode value) {
          const SourceMark value_mark = mark_of(value, key_mark);
          settings.push_back(SettingDecl{name, to_value(value, value_mark), value_mark, key_mark});
        });
    return true;
  }

  void load_outputs(YamlNode node, SourceMark mark, PipelineSpec& spec) {
    if (node.is_null())
      return;
    if (!node.is_map()) {
      error(mark, "'outputs' must be a map of output names to values, got " + kind_of(node));
      return;
    }
    for_each_entry(
        node, "duplicate key", [&](const std::string& name, SourceMark key_mark, YamlNode value) {
          const SourceMark value_mark = mark_of(value, key_mark);
          spec.outputs.push_back(OutputDecl{name, to_value(value, value_mark), value_mark});
        });
  }
};

} // namespace

PipelineSpec parse_pipeline_yaml(std::string_view text, const std::string& file,
                                 std::vector<Diagnostic>& diagnostics, const Limits& limits) {
  return YamlLoader(file, diagnostics, limits).load(text);
}

} // namespace sluice::detail
