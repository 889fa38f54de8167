#pragma once
/// @file
/// For the engine and the SDK, not for plugins: comparing the short names that objects and
/// settings are looked up by. Not installed (see borrowed_array.hpp).

#include <cstdint>
#include <cstring>
#include <string_view>

namespace sluice::detail {

/// Whether `a` and `b` hold the same bytes. Names are short: up to 16 bytes are compared as
/// two words that may overlap, in a few instructions, where `std::string == std::string_view`
/// calls memcmp (a member lookup, a node's `ctx.setting("values")` on every run).
inline bool same_key(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size())
    return false;
  const char* x = a.data();
  const char* y = b.data();
  const auto same = [&]<class Word>(Word, std::size_t at) {
    Word u, v;
    std::memcpy(&u, x + at, sizeof u);
    std::memcpy(&v, y + at, sizeof v);
    return u == v;
  };
  if (n >= 8) {
    if (n > 16)
      return std::memcmp(x, y, n) == 0;
    return same(std::uint64_t{}, 0) && same(std::uint64_t{}, n - 8);
  }
  if (n >= 4)
    return same(std::uint32_t{}, 0) && same(std::uint32_t{}, n - 4);
  for (std::size_t i = 0; i < n; ++i)
    if (x[i] != y[i])
      return false;
  return true;
}

} // namespace sluice::detail
