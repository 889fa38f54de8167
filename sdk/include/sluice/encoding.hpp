#pragma once
/// @file
/// Text encodings that plugins speaking HTTP need: hexadecimal digits and URL percent-encoding
/// (RFC 3986 §2.1; `application/x-www-form-urlencoded` when `+` stands for a space).
///
/// ```cpp
/// sluice::percent_encode("a b/c");              // "a%20b%2Fc"
/// sluice::percent_decode("a+b%21", /*plus_is_space=*/true); // "a b!"
/// ```

#include <sluice/export.hpp>

#include <string>
#include <string_view>

namespace sluice {

/// The value of one hexadecimal digit (`0-9`, `a-f`, `A-F`), or -1 for any other character.
SLUICE_SDK_API int hex_digit_value(char c) noexcept;

/// Percent-encodes every byte except RFC 3986's unreserved characters (letters, digits,
/// `-`, `.`, `_`, `~`), with upper-case hex digits. Safe in a path segment, a query name or
/// value, and a form body.
SLUICE_SDK_API std::string percent_encode(std::string_view text);

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept as it is. With
/// `plus_is_space` (form bodies and queries), `+` decodes to a space.
SLUICE_SDK_API std::string percent_decode(std::string_view text, bool plus_is_space = false);

} // namespace sluice
