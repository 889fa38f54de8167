#pragma once
// Bytes as lower-case hexadecimal text: digests, random tokens and keys, signatures.

#include <sluice/encoding.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

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

/// The bytes of hexadecimal text (either case); nullopt when it is not an even number of
/// hex digits.
inline std::optional<std::string> bytes_of_hex(std::string_view text) {
  if (text.size() % 2 != 0)
    return std::nullopt;
  std::string bytes(text.size() / 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const int high = hex_digit_value(text[2 * i]);
    const int low = hex_digit_value(text[2 * i + 1]);
    if (high < 0 || low < 0)
      return std::nullopt;
    bytes[i] = static_cast<char>(high * 16 + low);
  }
  return bytes;
}

} // namespace sluice::detail
