#pragma once
/// @file
/// Text encodings that plugins need: hexadecimal digits, URL percent-encoding (RFC 3986 §2.1;
/// `application/x-www-form-urlencoded` when `+` stands for a space), and text that is safe to
/// show a person.
///
/// ```cpp
/// sluice::percent_encode("a b/c");                          // "a%20b%2Fc"
/// sluice::percent_decode("a+b%21", /*plus_is_space=*/true); // "a b!"
/// sluice::printable("a\x1b[2J\n");                         // R"(a\x1b[2J\n)"
/// ```

#include <sluice/export.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

/// `name=value&name=value`, each name and value percent-encoded: a query, or an
/// `application/x-www-form-urlencoded` body. (SDK 1.6)
SLUICE_SDK_API std::string
form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

/// Text from outside (a file name, a server's answer, a query parameter) made safe to echo in a
/// message: control bytes become `\n`, `\r`, `\t` or `\xHH`, and so do bytes that are not
/// valid UTF-8 and the UTF-8 forms of the C1 controls (U+0080 to U+009F), which some terminals
/// obey. A backslash stays as it is, so text without such bytes reads unchanged. (SDK 1.4)
SLUICE_SDK_API std::string printable(std::string_view text);

/// Text made safe inside HTML or XML, in an element or a quoted attribute: `&`, `<`, `>`, `"`
/// and `'` become character references. (SDK 1.6)
SLUICE_SDK_API std::string markup_escape(std::string_view text);

} // namespace sluice
