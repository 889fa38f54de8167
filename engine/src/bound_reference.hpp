#pragma once
// References once compile has bound and checked them: reduced to what evaluation needs, with
// their paths interned once per plan.

#include "expression.hpp"

#include <sluice/detail/value_heap.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::detail {

/// Paths of a plan's bound references, each distinct path stored once: most references in
/// a plan read the same few fields (`.value`, `.text`), and a Path is a vector of strings.
/// Pointers it hands out stay valid for its lifetime.
class PathTable {
public:
  /// A path as stored: with its single member name picked out when it is just one, the
  /// common `{{ node.field }}`, which then costs one member lookup.
  struct Entry {
    Path path;
    /// Set when `path` is exactly one member name.
    std::optional<std::string> single_key;
    /// Path::to_string() of `path`.
    std::string text;
  };
  const Entry* intern(const Path& path);
  /// The same for a path of `.name` segments given as its canonical text (`a.b`, as in
  /// PlainReference::path); parses it only the first time it is seen.
  const Entry* intern_plain(std::string_view text);

private:
  const Entry* add(Path path, std::string text);

  std::deque<Entry> paths_;
  /// Keyed by each entry's `text`.
  std::unordered_map<std::string_view, const Entry*> index_;
  /// The entry interned last: most references of a plan read the same field (`.value`,
  /// `.text`), and it answers them without formatting or hashing.
  const Entry* last_ = nullptr;
};

/// A reference reduced to what evaluation needs, once compile has bound and checked it: the
/// name, text and offset of a Reference only serve diagnostics. 16 bytes, held inline by a
/// ValueTemplate (a Reference with its three strings takes 128, plus its path).
struct BoundReference {
  /// What follows the root (and the input name); owned by the plan's PathTable.
  const PathTable::Entry* path = nullptr;
  /// Node index, or input index (the position in the resolved inputs object).
  std::uint32_t target = 0;
  Reference::Root root = Reference::Root::node;

  Value eval(const EvalScope& scope) const;
  /// Where the referenced value lives in `scope`, or nullptr when it is missing (and always
  /// for the `index` root, whose value is made rather than found). Inline: a node's list of
  /// references locates each of its elements on every run.
  const Value* locate(const EvalScope& scope) const noexcept;
};

inline const Value* BoundReference::locate(const EvalScope& scope) const noexcept {
  const Value* base = nullptr;
  switch (root) {
  case Reference::Root::input:
    // The resolved inputs object holds every declared input, in declaration order.
    if (scope.inputs != nullptr && scope.inputs->is_object()) {
      const auto members = scope.inputs->as_object();
      if (target < members.size())
        base = &members[target].second;
    }
    break;
  case Reference::Root::node:
    base = scope.nodes != nullptr ? &scope.nodes[target].output : nullptr;
    break;
  case Reference::Root::item:
    base = scope.item;
    break;
  case Reference::Root::index:
    return nullptr; // made, not found: see eval()
  }
  if (base == nullptr)
    return nullptr;
  return path->single_key ? ValueAccess::find_member(*base, *path->single_key)
                          : base->find(path->path);
}

/// Lists of a plan's bound references (settings such as `values: ["{{ a.x }}", "{{ b.x }}"]`),
/// kept in large blocks so that a list costs no heap block of its own. Spans it hands out stay
/// valid for its lifetime.
class BoundListStore {
public:
  std::span<const BoundReference> add(std::span<const BoundReference> list);

private:
  std::vector<std::unique_ptr<BoundReference[]>> blocks_;
  std::size_t used_ = 0;     ///< in the last block
  std::size_t capacity_ = 0; ///< of the last block
};

} // namespace sluice::detail
