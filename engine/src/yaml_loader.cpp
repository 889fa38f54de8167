// YAML text -> PipelineSpec. Checks the file's shape (known keys, maps where maps belong, no
// duplicate keys) and records where everything came from; what the values mean is the
// compiler's business.

#include "yaml_loader.hpp"

#include "limit_text.hpp"
#include "suggest.hpp"
#include "yaml_core_schema.hpp"

#include <sluice/encoding.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace sluice::detail {

namespace {

const std::vector<std::string> top_level_keys = {"version", "name",  "description",
                                                 "inputs",  "nodes", "outputs"};
const std::vector<std::string> node_keys = {"type",    "description", "with",        "needs",
                                            "if",      "for_each",    "concurrency", "retry",
                                            "timeout", "on_error"};
const std::vector<std::string> retry_keys = {"attempts", "backoff", "max_backoff"};
const std::vector<std::string> input_keys = {"type", "default", "required", "description"};

// Aliases can make a small file expand exponentially ("billion laughs"); deep nesting can
// exhaust the stack. Neither occurs in a real pipeline. What the text of the expanded values
// may add up to is Limits::expanded_bytes.
constexpr std::size_t max_converted_values = 1'000'000;
constexpr int max_depth = 128;

// A scalar quoted in a message is cut to this many bytes: an alias of a 1 MiB string must not
// put a copy of it into every diagnostic.
constexpr std::size_t max_quoted_bytes = 60;

// Thrown (and caught by YamlLoader::load) once a limit is breached: nothing past it is built.
struct LoadStopped {};

// Text from the file as a message quotes it: cut short, with its control bytes escaped.
std::string quoted(std::string_view text) {
  if (text.size() <= max_quoted_bytes)
    return "'" + printable(text) + "'";
  return "'" + printable(text.substr(0, max_quoted_bytes)) + "...' (" +
         std::to_string(text.size()) + " bytes)";
}

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
  case YAML::NodeType::Map:
    return "a map";
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined:
    return "nothing";
  case YAML::NodeType::Scalar:
    break;
  }
  return quoted(node.Scalar());
}

class YamlLoader {
public:
  YamlLoader(const std::string& file, std::vector<Diagnostic>& diagnostics, const Limits& limits)
      : file_(file), diagnostics_(diagnostics), limits_(limits) {}

  PipelineSpec load(std::string_view text) {
    PipelineSpec spec;
    spec.file = file_;
    spec.mark = SourceMark{1, 1};
    if (text.size() > limits_.input_bytes) {
      error(spec.mark,
            "the pipeline is larger than " +
                limit_value_text(LimitKind::input_bytes, limits_.input_bytes) +
                ", the limit for its YAML text",
            how_to_raise(LimitKind::input_bytes));
      return spec;
    }
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      error(SourceMark{e.mark.line + 1, e.mark.column + 1}, e.msg);
      return spec;
    }
    if (!root.IsDefined() || root.IsNull()) {
      error(spec.mark, "the pipeline is empty", "start with 'version: 1' and a 'nodes:' map");
      return spec;
    }
    spec.mark = mark_of(root, spec.mark);
    if (!root.IsMap()) {
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
  const std::string& file_;
  std::vector<Diagnostic>& diagnostics_;
  const Limits& limits_;
  std::size_t converted_values_ = 0;
  /// Bytes of scalars and keys read so far, aliases counted each time they are read.
  std::size_t expanded_bytes_ = 0;
  /// The furthest position read so far (0-based line and column, as yaml-cpp's marks). The
  /// loader reads in document order, so a node found before it is one read again: an alias.
  std::pair<int, int> furthest_{0, 0};

  // Messages quote the file's text: escaped here, once for every message, so none shows a
  // raw control byte (printable() leaves text without one as it is).
  void error(SourceMark mark, const std::string& message, const std::string& hint = {}) {
    diagnostics_.push_back(Diagnostic{file_, mark, printable(message), printable(hint)});
  }

  [[noreturn]] void stop(SourceMark mark, std::string message, std::string hint) {
    error(mark, std::move(message), std::move(hint));
    throw LoadStopped{};
  }

  // Notes where the loader is. True when `node` lies before a position already read: yaml-cpp
  // resolves an alias to the anchored node itself, whose mark is the anchor's, so this is how
  // an alias shows.
  bool read_again(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull())
      return false;
    const YAML::Mark mark = node.Mark();
    if (mark.is_null() || mark.line < 0)
      return false;
    const std::pair<int, int> here{mark.line, mark.column};
    if (here < furthest_)
      return true;
    furthest_ = here;
    return false;
  }

  SourceMark furthest_mark() const { return SourceMark{furthest_.first + 1, furthest_.second + 1}; }

  // Counts `bytes` of text read from `node` (a scalar or a key) towards expanded_bytes, before
  // they are copied, and stops the load once the total passes the limit. An alias has no
  // position of its own, so its breach is reported at the furthest position read, the
  // nearest one before it, and names the value it repeats.
  void charge(const YAML::Node& node, std::size_t bytes, SourceMark fallback) {
    const bool alias = read_again(node);
    expanded_bytes_ += bytes;
    if (expanded_bytes_ <= limits_.expanded_bytes)
      return;
    const std::string limit = limit_value_text(LimitKind::expanded_bytes, limits_.expanded_bytes);
    const SourceMark own = mark_of(node, fallback);
    if (!alias)
      stop(own,
           "the pipeline's text adds up to more than " + limit +
               ", the limit for YAML once aliases are expanded",
           how_to_raise(LimitKind::expanded_bytes));
    stop(furthest_mark(),
         "aliases (*name) expand the pipeline's text to more than " + limit +
             ", the limit for YAML once aliases are expanded; this alias repeats the " +
             std::to_string(bytes) + "-byte text at line " + std::to_string(own.line) +
             ", column " + std::to_string(own.column),
         how_to_raise(LimitKind::expanded_bytes) + ", or repeat large values less often");
  }

  // yaml-cpp marks are 0-based; ours are 1-based. Empty (null) values have no useful mark of
  // their own (yaml-cpp points at the next token), so they take the fallback, their key's.
  static SourceMark mark_of(const YAML::Node& node, SourceMark fallback) {
    if (!node.IsDefined() || node.IsNull())
      return fallback;
    const YAML::Mark mark = node.Mark();
    if (mark.is_null() || mark.line < 0)
      return fallback;
    return SourceMark{mark.line + 1, mark.column + 1};
  }

  void unknown_key(SourceMark mark, const std::string& key, const std::string& where,
                   const std::vector<std::string>& allowed) {
    NearestName nearest(key);
    for (const std::string& candidate : allowed)
      nearest.consider(candidate);
    error(mark, "unknown key '" + key + "'" + where,
          did_you_mean(nearest.best(), "allowed keys: " + join_names(allowed)));
  }

  // Calls `visit(key, key_mark, value)` for each entry of a map, reporting non-scalar keys
  // and repeated keys (yaml-cpp keeps both; the first one wins here).
  template <typename Visit>
  void for_each_entry(const YAML::Node& map, std::string_view duplicate_what, Visit&& visit) {
    std::unordered_map<std::string, int> first_line;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies, not references: yaml-cpp's iterator hands out a temporary pair (nodes are
      // cheap handles), so `const Node& key = it->first` would dangle.
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      const SourceMark key_mark = mark_of(key, mark_of(map, {}));
      if (!key.IsScalar()) {
        error(key_mark, "a key must be a plain name, got " + kind_of(key));
        continue;
      }
      const std::string& name = key.Scalar();
      charge(key, name.size(), key_mark);
      auto [previous, inserted] = first_line.emplace(name, key_mark.line);
      if (!inserted) {
        error(key_mark, std::string(duplicate_what) + " '" + name + "'",
              "first defined on line " + std::to_string(previous->second));
        continue;
      }
      visit(name, key_mark, value);
    }
  }

  // ---- values --------------------------------------------------------------------------

  Value to_value(const YAML::Node& node, SourceMark fallback, int depth = 0) {
    if (++converted_values_ > max_converted_values)
      stop(read_again(node) ? furthest_mark() : mark_of(node, fallback),
           "the document is too large: it expands to more than " +
               std::to_string(max_converted_values) + " values",
           "aliases (*name) are expanded; avoid aliases of large maps or lists");
    if (depth > max_depth) {
      error(mark_of(node, fallback),
            "nesting is deeper than " + std::to_string(max_depth) + " levels");
      return Value();
    }
    const SourceMark mark = mark_of(node, fallback);
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Value();
    case YAML::NodeType::Scalar:
      return scalar_to_value(node, mark);
    case YAML::NodeType::Sequence: {
      // Collections count towards the position only; their scalars and keys carry the bytes.
      read_again(node);
      Array elements;
      elements.reserve(node.size());
      for (const YAML::Node& element : node)
        elements.push_back(to_value(element, mark, depth + 1));
      return Value(std::move(elements));
    }
    case YAML::NodeType::Map: {
      read_again(node);
      Object members;
      for_each_entry(node, "duplicate key",
                     [&](const std::string& key, SourceMark key_mark, const YAML::Node& value) {
                       members.emplace_back(key, to_value(value, key_mark, depth + 1));
                     });
      return Value(std::move(members));
    }
    }
    return Value();
  }

  Value scalar_to_value(const YAML::Node& node, SourceMark mark) {
    const std::string& text = node.Scalar();
    charge(node, text.size(), mark);
    const std::string& tag = node.Tag();
    // "!" marks a quoted or block scalar: always a string. "?" is a plain scalar, typed by
    // the core schema. Explicit core tags (!!str, !!int...) force the type.
    if (tag == "!")
      return Value(text);
    std::string_view wanted;
    if (tag != "?") {
      if (!tag.starts_with(core_tag_prefix)) {
        error(mark, "unsupported YAML tag " + quoted(tag),
              "only the standard tags (!!str, !!int, !!float, !!bool, !!null) are understood");
        return Value();
      }
      wanted = std::string_view(tag).substr(core_tag_prefix.size());
      if (wanted == "str")
        return Value(text);
    }
    if ((wanted.empty() || wanted == "null") && is_core_null(text))
      return Value();
    if (wanted.empty() || wanted == "bool")
      if (const auto b = core_bool(text))
        return Value(*b);
    if (wanted.empty() || wanted == "int") {
      std::int64_t integer = 0;
      switch (core_integer(text, integer)) {
      case IntegerParse::ok:
        return Value(integer);
      case IntegerParse::too_big:
        error(mark, "integer " + text + " does not fit in 64 bits", "quote it to keep it as text");
        // Kept as the nearest double (as JSON readers do), so checks further on see a
        // number rather than a misleading "missing" value.
        return Value(core_float(text).value_or(0.0));
      case IntegerParse::not_an_integer:
        break;
      }
    }
    if (wanted.empty() || wanted == "float")
      if (const auto d = core_float(text))
        return Value(*d);
    if (wanted.empty())
      return Value(text);
    error(mark,
          quoted(text) + " is not a valid !!" + printable(wanted.substr(0, max_quoted_bytes)));
    return Value();
  }

  // A scalar that must be text (names, descriptions, types). Numbers are accepted as their
  // text; maps and lists are reported.
  std::optional<std::string> text_of(const YAML::Node& node, SourceMark mark,
                                     const std::string& what) {
    if (node.IsScalar()) {
      charge(node, node.Scalar().size(), mark);
      return node.Scalar();
    }
    error(mark, what + " must be text, got " + kind_of(node));
    return std::nullopt;
  }

  SpecField field_of(const YAML::Node& node, SourceMark key_mark) {
    const SourceMark mark = mark_of(node, key_mark);
    return SpecField{to_value(node, mark), mark};
  }

  // ---- pipeline ------------------------------------------------------------------------

  void load_pipeline(const YAML::Node& root, PipelineSpec& spec) {
    bool has_version = false;
    bool has_nodes = false;
    for_each_entry(root, "duplicate key",
                   [&](const std::string& key, SourceMark key_mark, const YAML::Node& value) {
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
                     } else {
                       unknown_key(key_mark, key, " at the top level", top_level_keys);
                     }
                   });
    if (!has_version)
      error(spec.mark, "the pipeline has no 'version'", "add 'version: 1' at the top");
    if (!has_nodes)
      error(spec.mark, "the pipeline has no 'nodes'", "add a 'nodes:' map of node ids to nodes");
  }

  void load_version(const YAML::Node& node, SourceMark mark, PipelineSpec& spec) {
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

  void load_inputs(const YAML::Node& node, SourceMark mark, PipelineSpec& spec) {
    if (node.IsNull())
      return;
    if (!node.IsMap()) {
      error(mark, "'inputs' must be a map of input names to declarations, got " + kind_of(node));
      return;
    }
    for_each_entry(node, "duplicate key",
                   [&](const std::string& name, SourceMark key_mark, const YAML::Node& value) {
                     spec.inputs.push_back(load_input(name, key_mark, value));
                   });
  }

  InputDecl load_input(const std::string& name, SourceMark key_mark, const YAML::Node& node) {
    InputDecl input;
    input.name = name;
    input.mark = key_mark;
    input.type_mark = key_mark;
    if (node.IsNull())
      return input;
    if (!node.IsMap()) {
      error(mark_of(node, key_mark), "input '" + name +
                                         "' must be a map (type, default, required, "
                                         "description), got " +
                                         kind_of(node));
      return input;
    }
    for_each_entry(node, "duplicate key",
                   [&](const std::string& key, SourceMark field_key_mark, const YAML::Node& value) {
                     const SourceMark mark = mark_of(value, field_key_mark);
                     if (key == "type") {
                       input.type_mark = mark;
                       if (auto text = text_of(value, mark, "the 'type' of input '" + name + "'"))
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
                       if (auto text =
                               text_of(value, mark, "the 'description' of input '" + name + "'"))
                         input.description = *text;
                     } else {
                       unknown_key(field_key_mark, key, " in input '" + name + "'", input_keys);
                     }
                   });
    return input;
  }

  void load_nodes(const YAML::Node& node, SourceMark mark, PipelineSpec& spec) {
    if (node.IsNull())
      return;
    if (!node.IsMap()) {
      error(mark, "'nodes' must be a map of node ids to nodes, got " + kind_of(node));
      return;
    }
    spec.nodes.reserve(std::min(node.size(), limits_.nodes));
    for_each_entry(node, "duplicate node id",
                   [&](const std::string& id, SourceMark key_mark, const YAML::Node& value) {
                     if (spec.nodes.size() >= limits_.nodes)
                       stop(key_mark, too_many_nodes(limits_.nodes),
                            how_to_raise(LimitKind::nodes));
                     spec.nodes.push_back(load_node(id, key_mark, value));
                   });
  }

  NodeDecl load_node(const std::string& id, SourceMark key_mark, const YAML::Node& node) {
    NodeDecl decl;
    decl.id = id;
    decl.mark = key_mark;
    decl.type_mark = key_mark;
    const SourceMark map_mark = mark_of(node, key_mark);
    if (!node.IsMap()) {
      error(map_mark, "node '" + id + "' must be a map with at least 'type', got " + kind_of(node));
      return decl;
    }
    bool has_type = false;
    for_each_entry(node, "duplicate key",
                   [&](const std::string& key, SourceMark field_key_mark, const YAML::Node& value) {
                     const SourceMark mark = mark_of(value, field_key_mark);
                     if (key == "type") {
                       has_type = true;
                       decl.type_mark = mark;
                       if (auto text = text_of(value, mark, "the 'type' of node '" + id + "'"))
                         decl.type = *text;
                     } else if (key == "description") {
                       if (auto text =
                               text_of(value, mark, "the 'description' of node '" + id + "'"))
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

  void load_settings(const std::string& id, const YAML::Node& node, SourceMark mark,
                     NodeDecl& decl) {
    if (node.IsNull())
      return;
    if (!node.IsMap()) {
      error(mark, "'with' of node '" + id + "' must be a map of settings, got " + kind_of(node));
      return;
    }
    for_each_entry(
        node, "duplicate key",
        [&](const std::string& name, SourceMark key_mark, const YAML::Node& value) {
          const SourceMark value_mark = mark_of(value, key_mark);
          decl.with.push_back(SettingDecl{name, to_value(value, value_mark), value_mark, key_mark});
        });
  }

  void load_needs(const std::string& id, const YAML::Node& node, SourceMark mark, NodeDecl& decl) {
    const std::string expected = "'needs' of node '" + id +
                                 "' must be a node id or a list of "
                                 "node ids";
    if (node.IsNull())
      return;
    if (node.IsScalar()) {
      charge(node, node.Scalar().size(), mark);
      decl.needs.push_back(SpecField{Value(node.Scalar()), mark});
      return;
    }
    if (!node.IsSequence()) {
      error(mark, expected + ", got " + kind_of(node));
      return;
    }
    for (const YAML::Node& element : node) {
      const SourceMark element_mark = mark_of(element, mark);
      if (!element.IsScalar()) {
        error(element_mark, expected + ", got " + kind_of(element) + " in the list");
        continue;
      }
      charge(element, element.Scalar().size(), element_mark);
      decl.needs.push_back(SpecField{Value(element.Scalar()), element_mark});
    }
  }

  void load_retry(const std::string& id, const YAML::Node& node, SourceMark mark, NodeDecl& decl) {
    if (node.IsScalar()) {
      // `retry: 3` is short for `retry: { attempts: 3 }`.
      decl.retry_attempts = SpecField{to_value(node, mark), mark};
      return;
    }
    if (!node.IsMap()) {
      error(mark, "'retry' of node '" + id +
                      "' must be a map (attempts, backoff, max_backoff) or a number of "
                      "attempts, got " +
                      kind_of(node));
      return;
    }
    for_each_entry(node, "duplicate key",
                   [&](const std::string& key, SourceMark key_mark, const YAML::Node& value) {
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

  void load_outputs(const YAML::Node& node, SourceMark mark, PipelineSpec& spec) {
    if (node.IsNull())
      return;
    if (!node.IsMap()) {
      error(mark, "'outputs' must be a map of output names to values, got " + kind_of(node));
      return;
    }
    for_each_entry(
        node, "duplicate key",
        [&](const std::string& name, SourceMark key_mark, const YAML::Node& value) {
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
