// Evaluating bound references, and the per-plan table of their paths.

#include "bound_reference.hpp"

#include <sluice/detail/same_key.hpp>

#include <algorithm>
#include <variant>

namespace sluice::detail {

Value BoundReference::eval(const EvalScope& scope) const {
  if (root == Reference::Root::index)
    // An integer has no members: `{{ index.x }}` is null, like any missing path.
    return scope.index >= 0 && path->path.empty() ? Value(scope.index) : Value();
  const Value* found = locate(scope);
  return found != nullptr ? *found : Value();
}

const PathTable::Entry* PathTable::intern(const Path& path) {
  if (last_ != nullptr && std::ranges::equal(last_->path.segments(), path.segments()))
    return last_;
  std::string text = path.to_string();
  if (const auto found = index_.find(text); found != index_.end())
    return last_ = found->second;
  return last_ = add(path, std::move(text));
}

const PathTable::Entry* PathTable::intern_plain(std::string_view text) {
  if (last_ != nullptr && same_key(last_->text, text))
    return last_;
  if (const auto found = index_.find(text); found != index_.end())
    return last_ = found->second;
  return last_ = add(Path::parse(text), std::string(text));
}

const PathTable::Entry* PathTable::add(Path path, std::string text) {
  Entry& entry = paths_.emplace_back(Entry{std::move(path), std::nullopt, std::move(text)});
  const auto segments = entry.path.segments();
  if (segments.size() == 1)
    if (const auto* key = std::get_if<std::string>(&segments.front()))
      entry.single_key = *key;
  index_.emplace(entry.text, &entry);
  return &entry;
}

std::span<const BoundReference> BoundListStore::add(std::span<const BoundReference> list) {
  // Blocks grow from a few lists' worth, so that a small plan stays small.
  constexpr std::size_t first_block = 64;
  constexpr std::size_t largest_block = 4096;
  if (capacity_ - used_ < list.size()) {
    capacity_ = std::max(std::clamp(capacity_ * 2, first_block, largest_block), list.size());
    blocks_.push_back(std::make_unique<BoundReference[]>(capacity_));
    used_ = 0;
  }
  BoundReference* kept = blocks_.back().get() + used_;
  // Most lists are one reference (a node's single input): copied without a call to memmove.
  if (list.size() == 1)
    *kept = list.front();
  else
    std::copy(list.begin(), list.end(), kept);
  used_ += list.size();
  return {kept, list.size()};
}

} // namespace sluice::detail
