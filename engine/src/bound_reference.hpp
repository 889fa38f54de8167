#pragma once
// References once compile has bound and checked them: reduced to what evaluation needs, with
// their paths interned once per plan.

#include "expression.hpp"

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

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
  };
  const Entry* intern(const Path& path);

private:
  std::deque<Entry> paths_;
  std::unordered_map<std::string, const Entry*> index_;
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
  /// for the `index` root, whose value is made rather than found).
  const Value* locate(const EvalScope& scope) const noexcept;
};

} // namespace sluice::detail
