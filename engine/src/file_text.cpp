// Bounded reading of input files, and whole writes (file_text.hpp).

#include "file_text.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <unistd.h>

namespace sluice::detail {

std::string read_at_most(const std::filesystem::path& file, std::size_t limit) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open " + file.string());
  const std::size_t wanted = limit < std::numeric_limits<std::size_t>::max() ? limit + 1 : limit;
  std::string text;
  std::size_t filled = 0;
  while (filled < wanted) {
    text.resize(std::min(wanted, std::max<std::size_t>(2 * filled, 64 * 1024)));
    in.read(text.data() + filled, static_cast<std::streamsize>(text.size() - filled));
    filled += static_cast<std::size_t>(in.gcount());
    if (filled < text.size()) // the end of the file (or a read error)
      break;
  }
  text.resize(filled);
  return text;
}

bool write_fully(int fd, std::string_view bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO; // a regular file that takes nothing: say so rather than loop
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

} // namespace sluice::detail
