#pragma once
// One YAML document read into a compact, flat tree: every node in one vector, every scalar's
// text in one buffer, and aliases kept as references to their anchored node rather than
// copies. Built from libyaml's events, so the tree costs a few dozen bytes per node instead of
// the several hundred a general-purpose node tree takes, and reading it never recurses.
//
// It knows YAML, not pipelines: the loader (yaml_loader.cpp) walks it and decides what a
// pipeline's keys mean.

#include <sluice/diagnostic.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::detail {

class YamlDocument;

/// A handle on one node of a YamlDocument: two words, copied freely, valid while the document
/// lives.
class YamlNode {
public:
  enum class Kind : std::uint8_t { null, scalar, sequence, map, alias };

  Kind kind() const;
  bool is_null() const { return kind() == Kind::null; }
  bool is_scalar() const { return kind() == Kind::scalar; }
  bool is_sequence() const { return kind() == Kind::sequence; }
  bool is_map() const { return kind() == Kind::map; }
  bool is_alias() const { return kind() == Kind::alias; }

  /// Where the node starts (its anchor or tag if it has one), 1-based.
  SourceMark mark() const;

  /// An alias's anchored node; any other node is its own target.
  YamlNode target() const;

  /// A scalar's text (after unescaping and folding).
  std::string_view text() const;
  /// A scalar's tag as libyaml resolved it: empty when it has none, `tag:yaml.org,2002:int`
  /// for `!!int`, `!` for the non-specific tag.
  std::string_view tag() const;
  /// True for a scalar written without quotes and not as a block (`|`, `>`): only such a
  /// scalar is typed by the core schema.
  bool plain() const;

  /// A sequence's elements, or a map's keys and values (2 × entries).
  std::size_t children() const;
  YamlNode child(std::size_t i) const;
  /// For a map: its number of entries.
  std::size_t entries() const { return children() / 2; }
  YamlNode key(std::size_t entry) const { return child(2 * entry); }
  YamlNode value(std::size_t entry) const { return child(2 * entry + 1); }

private:
  friend class YamlDocument;
  YamlNode(const YamlDocument* document, std::uint32_t index)
      : document_(document), index_(index) {}
  const YamlDocument* document_;
  std::uint32_t index_;
};

/// What made a text unreadable as YAML, and where.
struct YamlSyntaxError {
  SourceMark mark;
  std::string message;
  std::string hint;
};

class YamlDocument {
public:
  /// Reads the first document of `text`. A syntax error, collections nested more than
  /// `max_depth` deep, an alias of an anchor not yet defined (or of a collection that
  /// contains it), or a second document ends the read with an error; the document is then
  /// empty.
  std::optional<YamlSyntaxError> parse(std::string_view text, std::size_t max_depth);

  /// False for an empty text (no document at all).
  bool has_root() const { return !nodes_.empty(); }
  YamlNode root() const { return YamlNode(this, 0); }

  /// Nodes in the tree (aliases count one each, however large what they repeat).
  std::size_t size() const { return nodes_.size(); }

private:
  friend class YamlNode;
  friend class YamlBuilder;

  struct Record {
    YamlNode::Kind kind = YamlNode::Kind::null;
    bool plain = false;
    bool open = false;     // a collection whose end has not been read yet
    std::uint32_t tag = 0; // index into tags_; 0 = no tag
    std::int32_t line = 0;
    std::int32_t column = 0;
    // Scalar: offset and length in text_. Collection: first index in children_ and count.
    // Alias: the anchored node's index in `first`.
    std::uint64_t first = 0;
    std::uint32_t count = 0;
  };

  std::vector<Record> nodes_;
  std::vector<std::uint32_t> children_;
  std::string text_;
  std::vector<std::string> tags_{std::string()};
};

inline YamlNode::Kind YamlNode::kind() const {
  return document_->nodes_[index_].kind;
}

inline SourceMark YamlNode::mark() const {
  const auto& record = document_->nodes_[index_];
  return SourceMark{record.line, record.column};
}

} // namespace sluice::detail
