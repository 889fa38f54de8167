#pragma once
// Owns reading values out of a YamlDocument the way every Sluice file is read: plain scalars
// typed by YAML 1.2's core schema, aliases followed and every copy they make counted against
// Limits::expanded_bytes, repeated keys reported, nesting bounded, and every problem a
// diagnostic with its position. The pipeline loader and the test-file loader build on it.

#include "yaml_document.hpp"

#include <sluice/diagnostic.hpp>
#include <sluice/encoding.hpp>
#include <sluice/limits.hpp>
#include <sluice/value.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sluice::detail {

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

// Thrown (and caught by a loader's load function) once a limit is breached: nothing past it
// is built.
struct LoadStopped {};

/// Text from the file as a message quotes it: cut short, with its control bytes escaped.
std::string quoted(std::string_view text);

/// What a node is, as a message says it: "a map", "a list", "nothing", or the quoted scalar.
std::string kind_of(YamlNode node);

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

/// The shared part of a loader; a loader derives from it and adds what its file's keys mean.
class YamlReader {
public:
  YamlReader(const std::string& file, std::vector<Diagnostic>& diagnostics, const Limits& limits)
      : file_(file), diagnostics_(diagnostics), limits_(limits) {}

protected:
  /// Checks the input's size and reads it into `document`; false (the problem reported) when
  /// it is too large or not YAML.
  bool read_document(std::string_view text, YamlDocument& document);

  const std::string& file_;
  /// What the file is, as messages name it: "the pipeline", "the test file".
  std::string what_ = "the pipeline";
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
  void charge(YamlNode node, std::size_t bytes, SourceMark fallback);

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
                   const std::vector<std::string>& allowed);

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

  Value to_value(YamlNode node, SourceMark fallback, int depth = 0);

  Value scalar_to_value(YamlNode node, SourceMark mark);

  // A scalar that must be text (names, descriptions, types). Numbers are accepted as their
  // text; maps and lists are reported as `what` (e.g. "the 'type' of node"), followed by
  // `owner` in quotes when given: the message is only built when there is a problem.
  std::optional<std::string> text_of(YamlNode node, SourceMark mark, std::string_view what,
                                     std::string_view owner = {});
};

} // namespace sluice::detail
