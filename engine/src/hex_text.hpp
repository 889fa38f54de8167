#pragma once
// Bytes as lower-case hexadecimal text: digests, random tokens and keys, signatures.

#include <cstddef>
#include <string>

namespace sluice::detail {

inline std::string lower_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  text.reserve(2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    text += digits[bytes[i] >> 4];
    text += digits[bytes[i] & 15];
  }
  return text;
}

} // namespace sluice::detail
