// NameIndex: linear probing over a power-of-two table kept at most half full.

#include "name_index.hpp"

#include <algorithm>
#include <bit>
#include <functional>

namespace sluice::detail {

namespace {

std::uint64_t hash_of(std::string_view name) noexcept {
  return std::hash<std::string_view>{}(name);
}

std::uint32_t tag_of(std::uint64_t hash) noexcept {
  return static_cast<std::uint32_t>(hash >> 32);
}

} // namespace

void NameIndex::reserve(std::size_t count) {
  const std::size_t wanted = std::bit_ceil(count * 2 + 2);
  if (wanted > slots_.size())
    rebuild(wanted);
  names_.reserve(count);
}

void NameIndex::rebuild(std::size_t slot_count) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(slot_count, Slot{});
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old)
    if (slot.index != empty)
      for (std::size_t at = hash_of(names_[slot.index]) & mask;; at = (at + 1) & mask)
        if (slots_[at].index == empty) {
          slots_[at] = slot;
          break;
        }
}

std::pair<std::uint32_t, bool> NameIndex::emplace(std::string_view name, std::uint32_t index) {
  if ((size_ + 1) * 2 > slots_.size())
    rebuild(std::max<std::size_t>(16, slots_.size() * 2));
  const std::uint64_t hash = hash_of(name);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
    Slot& slot = slots_[at];
    if (slot.index == empty) {
      slot = Slot{index, tag_of(hash)};
      if (names_.size() <= index)
        names_.resize(std::size_t{index} + 1);
      names_[index] = name;
      ++size_;
      return {index, true};
    }
    if (slot.tag == tag_of(hash) && names_[slot.index] == name)
      return {slot.index, false};
  }
}

std::optional<std::uint32_t> NameIndex::find(std::string_view name) const noexcept {
  if (slots_.empty())
    return std::nullopt;
  const std::uint64_t hash = hash_of(name);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
    const Slot& slot = slots_[at];
    if (slot.index == empty)
      return std::nullopt;
    if (slot.tag == tag_of(hash) && names_[slot.index] == name)
      return slot.index;
  }
}

} // namespace sluice::detail
