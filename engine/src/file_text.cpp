// Bounded reading of input files (file_text.hpp).

#include "file_text.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <stdexcept>

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

} // namespace sluice::detail
