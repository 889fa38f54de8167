// Evaluating bound references, and the per-plan table of their paths.

#include "bound_reference.hpp"

#include <variant>

namespace sluice::detail {

const Value* BoundReference::locate(const EvalScope& scope) const noexcept {
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
  return path->single_key ? base->find(std::string_view(*path->single_key))
                          : base->find(path->path);
}

Value BoundReference::eval(const EvalScope& scope) const {
  if (root == Reference::Root::index)
    // An integer has no members: `{{ index.x }}` is null, like any missing path.
    return scope.index >= 0 && path->path.empty() ? Value(scope.index) : Value();
  const Value* found = locate(scope);
  return found != nullptr ? *found : Value();
}

const PathTable::Entry* PathTable::intern(const Path& path) {
  auto [it, inserted] = index_.try_emplace(path.to_string(), nullptr);
  if (inserted) {
    Entry& entry = paths_.emplace_back(Entry{path, std::nullopt});
    const auto segments = path.segments();
    if (segments.size() == 1)
      if (const auto* key = std::get_if<std::string>(&segments.front()))
        entry.single_key = *key;
    it->second = &entry;
  }
  return it->second;
}

} // namespace sluice::detail
