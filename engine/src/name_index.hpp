#pragma once
// Names to dense indices, for the compiler's node ids: looked up once per reference, and built
// once per node of plans with up to millions of them. Open addressing over one array; the
// names stay where they are (the pipeline spec), so adding one allocates nothing.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::detail {

class NameIndex {
public:
  /// Room for `count` names without growing.
  void reserve(std::size_t count);
  /// Adds `name` -> `index` unless `name` is there already. Returns the index the name has
  /// afterwards, and whether it was added. `name` must outlive the NameIndex.
  std::pair<std::uint32_t, bool> emplace(std::string_view name, std::uint32_t index);
  /// The same, with the hash prefetch() returned for `name` (not computed a second time).
  std::pair<std::uint32_t, bool> emplace(std::string_view name, std::uint32_t index,
                                         std::uint64_t hash);
  std::optional<std::uint32_t> find(std::string_view name) const noexcept;
  /// Asks the processor to fetch the slot where `name` belongs, ahead of an emplace() or a
  /// find() of it: in a table of 100k names each of those is otherwise a cache miss.
  /// Returns the name's hash, for emplace().
  std::uint64_t prefetch(std::string_view name) const noexcept;
  /// Makes the name of `index` quick to find for a while. References mostly name a node
  /// declared shortly before their own (a chain reads the node before it), and in a plan of
  /// 100k nodes the big table does not stay in cache: a look-up was one cache miss, most of
  /// a reference's compile time. The compiler notes each node as it compiles it.
  void note_recent(std::uint32_t index) noexcept;

private:
  static constexpr std::uint32_t empty = std::numeric_limits<std::uint32_t>::max();
  // 8 bytes, so that a table of a million names stays in a few megabytes of cache: the name
  // is read from names_ only when the tag (the hash's high half) matches.
  struct Slot {
    std::uint32_t index = empty;
    std::uint32_t tag = 0;
  };
  void rebuild(std::size_t slot_count);
  // Direct-mapped by the hash's low bits, overwritten freely: 8 KB that stay in cache.
  static constexpr std::size_t recent_count = 1024;
  std::array<Slot, recent_count> recent_{};

  std::vector<Slot> slots_; // a power of two long, at most half full
  // By index; each name with its hash, so that note_recent() and rebuild() neither hash it
  // again nor read its text (another cache miss each in a plan of 100k nodes).
  struct Named {
    std::string_view name;
    std::uint64_t hash = 0;
  };
  std::vector<Named> names_;
  std::size_t size_ = 0;
};

} // namespace sluice::detail
