#pragma once
/// @file
/// Hiding known secrets in text that is shown: what an HTTP interceptor sees of a request
/// and its answer, and a node's output when a server echoes a token back (SDK 1.6).

#include <sluice/export.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// The text that replaces a secret wherever one would be shown.
inline constexpr const char* redacted_marker = "[redacted]";

/// `text` with every occurrence of each of `secrets` replaced by `redacted_marker`.
/// Occurrences are found in `text` itself, never in a marker already written, and
/// overlapping or adjacent ones become one marker, so no piece of a secret is left beside
/// it. Empty secrets are ignored.
SLUICE_SDK_API std::string redact(std::string_view text, const std::vector<std::string>& secrets);

} // namespace sluice
