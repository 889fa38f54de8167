// numbered("key-", 7) == "key-7", for the tests that build many keys or node ids.
#pragma once

#include <concepts>
#include <string>
#include <string_view>

namespace test_support {

// Appends rather than writing "key-" + std::to_string(n): GCC 12 at -O2 reports a false
// -Wrestrict on that expression (GCC bug 105329), which would make the release build noisy.
inline std::string numbered(std::string_view prefix, std::integral auto n) {
  std::string text(prefix);
  text += std::to_string(n);
  return text;
}

} // namespace test_support
