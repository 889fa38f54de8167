#pragma once
// Owns reading a file the engine was given (a pipeline, a test file) without trusting its
// size: at most one byte more than a limit is read, so a huge file (or an endless one such
// as /dev/zero) is refused by the loader's size check without being read whole.

#include <cstddef>
#include <filesystem>
#include <string>

namespace sluice::detail {

/// The first `limit` + 1 bytes of `file` (all of it when shorter). Throws
/// std::runtime_error("cannot open ...") when it cannot be opened.
std::string read_at_most(const std::filesystem::path& file, std::size_t limit);

} // namespace sluice::detail
