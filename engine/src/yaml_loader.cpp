// YAML text -> PipelineSpec. Checks the file's shape (known keys, maps where maps belong, no
// duplicate keys) and records where everything came from; what the values mean is the
// compiler's business.

#include "yaml_loader.hpp"

#include "limit_text.hpp"
#include "suggest.hpp"
#include "yaml_core_schema.hpp"
#include "yaml_document.hpp"

#include <sluice/encoding.hpp>

#include <algorithm>
#include <array>
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
// may add up to is Limits::expanded_bytes. The file's own nesting is bounded as it is read
// (YamlDocument); a value's, counted from the value, also here, since an alias inside an
// anchored value can repeat a value that is itself deep.
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

std::string kind_of(YamlNode node) {
  node = node.target();
  switch (node.kind()) {
  case YamlNode::Kind::map:
    return "a map";
  case YamlNode::Kind::sequence:
    return "a list";
  case YamlNode::Kind::null:
  case YamlNode::Kind::alias:
    return "nothing";
  case YamlNode::Kind::scalar:
    break;
  }
  return quoted(node.text());
}

// While text is read through an alias, the position of the alias (the outermost one, as the
// file shows it): what is read there is text the file repeats, and a limit it breaches is
// reported at the alias that repeated it.
class AliasScope {
public:
  AliasScope(std::optional<SourceMark>& alias_mark, YamlNode node)
      : alias_mark_(alias_mark), saved_(alias_mark) {
    if (node.is_alias() && !alias_mark_)
      alias_mark_ = node.mark();
  }
  ~AliasScope() { alias_mark_ = saved_; }
  AliasScope(const AliasScope&) = delete;
  AliasScope& operator=(const AliasScope&) = delete;

private:
  std::optional<SourceMark>& alias_mark_;
  std::optional<SourceMark> saved_;
};

// The keys of one map read so far, to find a repeated one. Most maps have a handful of keys:
// those are compared one by one without allocating; a large map gets a hash table. The keys
// are views into the document, which outlives the loader's walk.
class KeysSeen {
public:
  /// The line `key` was first seen on; nullopt (and `key` is recorded at `line`) the first
  /// time.
  std::optional<int> repeat_of(std::string_view key, int line) {
    if (many_.empty()) {
      for (std::size_t i = 0; i < count_; ++i)
        if (few_[i].first == key)
          return few_[i].second;
      if (count_ < few_.size()) {
        few_[count_++] = {key, line};
        return std::nullopt;
      }
      many_.insert(few_.begin(), few_.end());
    }
    const auto [previous, inserted] = many_.emplace(key, line);
    if (inserted)
      return std::nullopt;
    return previous->second;
  }

private:
  std::array<std::pair<std::string_view, int>, 8> few_{};
  std::size_t count_ = 0;
  std::unordered_map<std::string_view, int> many_;
};

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
    YamlDocument document;
    if (const auto syntax = document.parse(text, max_depth)) {
      error(syntax->mark, syntax->message, syntax->hint);
      return spec;
    }
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
  const std::string& file_;
  std::vector<Diagnostic>& diagnostics_;
  const Limits& limits_;
  std::size_t converted_values_ = 0;
  /// Bytes of scalars and keys read so far, aliases counted each time they are read.
  std::size_t expanded_bytes_ = 0;
  /// Set while reading through an alias (AliasScope).
  std::optional<SourceMark> alias_mark_;

  // Messages quote the file's text: escaped here, once for every message, so none shows a
  // raw control byte (printable() leaves text without one as it is).
  void error(SourceMark mark, const std::string& message, const std::string& hint = {}) {
    diagnostics_.push_back(Diagnostic{file_, mark, printable(message), printable(hint)});
  }

  [[noreturn]] void stop(SourceMark mark, std::string message, std::string hint) {
    error(mark, std::move(message), std::move(hint));
    throw LoadStopped{};
  }

  // Reads `node` with `read(target)`, through the alias if it is one.
  template <typename Read> decltype(auto) through(YamlNode node, Read&& read) {
    AliasScope scope(alias_mark_, node);
    return read(node.target());
  }

  // Counts `bytes` of text read from `node` (a scalar or a key) towards expanded_bytes, before
  // they are copied, and stops the load once the total passes the limit. Read through an
  // alias, the breach is reported at the alias and names the value it repeats.
  void charge(YamlNode node, std::size_t bytes, SourceMark fallback) {
    expanded_bytes_ += bytes;
    if (expanded_bytes_ <= limits_.expanded_bytes)
      return;
    const std::string limit = limit_value_text(LimitKind::expanded_bytes, limits_.expanded_bytes);
    const SourceMark own = mark_of(node, fallback);
    if (!alias_mark_)
      stop(own,
           "the pipeline's text adds up to more than " + limit +
               ", the limit for YAML once aliases are expanded",
           how_to_raise(LimitKind::expanded_bytes));
    stop(*alias_mark_,
         "aliases (*name) expand the pipeline's text to more than " + limit +
             ", the limit for YAML once aliases are expanded; this alias repeats the " +
             std::to_string(bytes) + "-byte text at line " + std::to_string(own.line) +
             ", column " + std::to_string(own.column),
         how_to_raise(LimitKind::expanded_bytes) + ", or repeat large values less often");
  }

  // An alias has the position of the value it repeats (messages about a value point at the
  // value). Empty (null) values have no useful position of their own (libyaml puts them
  // after the key's colon, or at the next token), so they take the fallback, their key's.
  static SourceMark mark_of(YamlNode node, SourceMark fallback) {
    node = node.target();
    if (node.is_null())
      return fallback;
    return node.mark();
  }

  void unknown_key(SourceMark mark, const std::string& key, const std::string& where,
                   const std::vector<std::string>& allowed) {
    NearestName nearest(key);
    for (const std::string& candidate : allowed)
      nearest.consider(candidate);
    error(mark, "unknown key '" + key + "'" + where,
          did_you_mean(nearest.best(), "allowed keys: " + join_names(allowed)));
  }

  // Calls `visit(key, key_mark, value)` for each entry of a map (the value read through its
  // alias, if it is one), reporting non-scalar keys and repeated keys (the first one wins).
  template <typename Visit>
  void for_each_entry(YamlNode map, std::string_view duplicate_what, Visit&& visit) {
    KeysSeen seen;
    const SourceMark map_mark = mark_of(map, {});
    for (std::size_t entry = 0; entry < map.entries(); ++entry) {
      const YamlNode key_node = map.key(entry);
      const YamlNode key = key_node.target();
      const SourceMark key_mark = mark_of(key_node, map_mark);
      if (!key.is_scalar()) {
        error(key_mark, "a key must be a plain name, got " + kind_of(key));
        continue;
      }
      {
        AliasScope scope(alias_mark_, key_node);
        charge(key, key.text().size(), key_mark);
      }
      const std::string name(key.text());
      if (const auto first_line = seen.repeat_of(key.text(), key_mark.line)) {
        error(key_mark, std::string(duplicate_what) + " '" + name + "'",
              "first defined on line " + std::to_string(*first_line));
        continue;
      }
      through(map.value(entry), [&](YamlNode value) { visit(name, key_mark, value); });
    }
  }

  // ---- values --------------------------------------------------------------------------

  Value to_value(YamlNode node, SourceMark fallback, int depth = 0) {
    if (node.is_alias())
      return through(node, [&](YamlNode target) { return to_value(target, fallback, depth); });
    if (++converted_values_ > max_converted_values)
      stop(alias_mark_.value_or(mark_of(node, fallback)),
           "the document is too large: it expands to more than " +
               std::to_string(max_converted_values) + " values",
           "aliases (*name) are expanded; avoid aliases of large maps or lists");
    if (depth > max_depth) {
      error(alias_mark_.value_or(mark_of(node, fallback)),
            "nesting is deeper than " + std::to_string(max_depth) + " levels");
      return Value();
    }
    const SourceMark mark = mark_of(node, fallback);
    switch (node.kind()) {
    case YamlNode::Kind::null:
    case YamlNode::Kind::alias: // followed above
      return Value();
    case YamlNode::Kind::scalar:
      return scalar_to_value(node, mark);
    case YamlNode::Kind::sequence: {
      Array elements;
      elements.reserve(node.children());
      for (std::size_t i = 0; i < node.children(); ++i)
        elements.push_back(to_value(node.child(i), mark, depth + 1));
      return Value(std::move(elements));
    }
    case YamlNode::Kind::map: {
      Object members;
      members.reserve(node.entries());
      for_each_entry(node, "duplicate key",
                     [&](const std::string& key, SourceMark key_mark, YamlNode value) {
                       members.emplace_back(key, to_value(value, key_mark, depth + 1));
                     });
      return Value(std::move(members));
    }
    }
    return Value();
  }

  Value scalar_to_value(YamlNode node, SourceMark mark) {
    charge(node, node.text().size(), mark);
    const std::string_view text = node.text();
    const std::string_view tag = node.tag();
    // Untagged: a quoted or block scalar is always a string, a plain one is typed by the core
    // schema. "!" (the non-specific tag) also means a string. Explicit core tags (!!str,
    // !!int...) force the type.
    std::string_view wanted;
    if (tag.empty()) {
      if (!node.plain())
        return Value(std::string(text));
    } else if (tag == "!") {
      return Value(std::string(text));
    } else {
      if (!tag.starts_with(core_tag_prefix)) {
        error(mark, "unsupported YAML tag " + quoted(tag),
              "only the standard tags (!!str, !!int, !!float, !!bool, !!null) are understood");
        return Value();
      }
      wanted = tag.substr(core_tag_prefix.size());
      if (wanted == "str")
        return Value(std::string(text));
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
        error(mark, "integer " + std::string(text) + " does not fit in 64 bits",
              "quote it to keep it as text");
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
      return Value(std::string(text));
    error(mark,
          quoted(text) + " is not a valid !!" + printable(wanted.substr(0, max_quoted_bytes)));
    return Value();
  }

  // A scalar that must be text (names, descriptions, types). Numbers are accepted as their
  // text; maps and lists are reported.
  std::optional<std::string> text_of(YamlNode node, SourceMark mark, const std::string& what) {
    if (node.is_scalar()) {
      charge(node, node.text().size(), mark);
      return std::string(node.text());
    }
    error(mark, what + " must be text, got " + kind_of(node));
    return std::nullopt;
  }

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
