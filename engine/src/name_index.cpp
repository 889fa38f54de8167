// NameIndex: linear probing over a power-of-two table kept at most half full.

#include "name_index.hpp"

#include <sluice/detail/same_key.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>

namespace sluice::detail {

namespace {

// Node ids are short ("fetch", "n4711"), and std::hash (a call into libstdc++ that walks the
// bytes) was two fifths of a look-up. Up to 16 bytes are read as two words that may overlap and
// mixed by one 64x64->128-bit multiply, folded: every input bit reaches both the slot (the low
// bits) and the tag (the high half). Longer names take std::hash. Not keyed: a pipeline's own
// node ids are not an attacker's input, and std::hash was not keyed either.
__extension__ using Wide = unsigned __int128; // GCC and Clang on 64-bit targets

std::uint64_t hash_of(std::string_view name) noexcept {
  const std::size_t n = name.size();
  const char* p = name.data();
  std::uint64_t low = 0;
  std::uint64_t high = n;
  if (n >= 8) {
    if (n > 16)
      return std::hash<std::string_view>{}(name);
    std::memcpy(&low, p, 8);
    std::memcpy(&high, p + n - 8, 8);
    high ^= n << 56; // "abcdefgh" and "abcdefghh"-like pairs differ in length
  } else if (n >= 4) {
    std::uint32_t first, last;
    std::memcpy(&first, p, 4);
    std::memcpy(&last, p + n - 4, 4);
    low = first | (std::uint64_t{last} << 32);
  } else if (n > 0) {
    low = static_cast<unsigned char>(p[0]) | (static_cast<unsigned char>(p[n / 2]) << 8) |
          (static_cast<unsigned char>(p[n - 1]) << 16);
  }
  const Wide product =
      static_cast<Wide>(low ^ 0x9e3779b97f4a7c15ULL) * (high ^ 0xc2b2ae3d27d4eb4fULL);
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
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
      for (std::size_t at = names_[slot.index].hash & mask;; at = (at + 1) & mask)
        if (slots_[at].index == empty) {
          slots_[at] = slot;
          break;
        }
}

std::pair<std::uint32_t, bool> NameIndex::emplace(std::string_view name, std::uint32_t index) {
  return emplace(name, index, hash_of(name));
}

std::pair<std::uint32_t, bool> NameIndex::emplace(std::string_view name, std::uint32_t index,
                                                  std::uint64_t hash) {
  if ((size_ + 1) * 2 > slots_.size())
    rebuild(std::max<std::size_t>(16, slots_.size() * 2));
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
    Slot& slot = slots_[at];
    if (slot.index == empty) {
      slot = Slot{index, tag_of(hash)};
      if (names_.size() <= index)
        names_.resize(std::size_t{index} + 1);
      names_[index] = Named{name, hash};
      ++size_;
      return {index, true};
    }
    if (slot.tag == tag_of(hash) && same_key(names_[slot.index].name, name))
      return {slot.index, false};
  }
}

void NameIndex::note_recent(std::uint32_t index) noexcept {
  // A duplicate name has no entry of its own (none at all when it was added last).
  if (index >= names_.size() || names_[index].name.data() == nullptr)
    return;
  const std::uint64_t hash = names_[index].hash;
  recent_[hash & (recent_count - 1)] = Slot{index, tag_of(hash)};
}

std::uint64_t NameIndex::prefetch(std::string_view name) const noexcept {
  const std::uint64_t hash = hash_of(name);
  if (!slots_.empty())
    __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
  return hash;
}

std::optional<std::uint32_t> NameIndex::find(std::string_view name) const noexcept {
  if (slots_.empty())
    return std::nullopt;
  const std::uint64_t hash = hash_of(name);
  if (const Slot& recent = recent_[hash & (recent_count - 1)];
      recent.index != empty && recent.tag == tag_of(hash) &&
      same_key(names_[recent.index].name, name))
    return recent.index;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
    const Slot& slot = slots_[at];
    if (slot.index == empty)
      return std::nullopt;
    if (slot.tag == tag_of(hash) && same_key(names_[slot.index].name, name))
      return slot.index;
  }
}

} // namespace sluice::detail
