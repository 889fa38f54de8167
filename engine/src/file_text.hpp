#pragma once
// Owns reading a file the engine was given (a pipeline, a test file) without trusting its
// size: at most one byte more than a limit is read, so a huge file (or an endless one such
// as /dev/zero) is refused by the loader's size check without being read whole. And writing
// all of a buffer to a file descriptor, which write(2) may do in parts.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace sluice::detail {

/// The first `limit` + 1 bytes of `file` (all of it when shorter). Throws
/// std::runtime_error("cannot open ...") when it cannot be opened.
std::string read_at_most(const std::filesystem::path& file, std::size_t limit);

/// Writes all of `bytes` to `fd`, again after a signal or a short write. False when write(2)
/// failed (errno says why; part of `bytes` may have been written).
bool write_fully(int fd, std::string_view bytes) noexcept;

} // namespace sluice::detail
