// The replay driver: runs a fuzz target's entry function (LLVMFuzzerTestOneInput) over every
// file of the directories (or the files) named on the command line, so the seed corpus and
// every crash ever found are replayed by ctest in each build, with any compiler, with no
// libFuzzer. Linked with one fuzz_<target>.cpp into replay_<target>.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// The files to replay under `path`, sorted so every run replays them in the same order.
// Names that start with '.' are left out (editor and VCS droppings are not inputs).
std::vector<fs::path> inputs_under(const fs::path& path) {
  std::vector<fs::path> files;
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    if (fs::is_regular_file(path, error))
      files.push_back(path);
    return files;
  }
  for (const fs::directory_entry& entry : fs::directory_iterator(path)) {
    if (entry.is_regular_file() && !entry.path().filename().string().starts_with("."))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The file's bytes in a buffer of exactly its size, so that AddressSanitizer (when the build
// has it) catches a target that reads one byte past the input, as libFuzzer's buffers do.
std::unique_ptr<std::uint8_t[]> read_exactly(const fs::path& file, std::size_t& size) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail())
    throw std::runtime_error("cannot read " + file.string());
  size = bytes.size();
  auto buffer = std::make_unique<std::uint8_t[]>(size == 0 ? 1 : size);
  std::copy(bytes.begin(), bytes.end(), buffer.get());
  return buffer;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR_OR_FILE...\n"
              << "  runs every file (a directory's files, sorted) through the fuzz target\n";
    return 2;
  }
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    // A target with no crash found yet has no regressions directory: not an error.
    const std::vector<fs::path> files = inputs_under(argv[i]);
    std::cout << argv[i] << ": " << files.size() << " input(s)\n";
    for (const fs::path& file : files) {
      std::cout << "  " << file.filename().string() << std::endl; // flushed: names a crash
      std::size_t size = 0;
      const auto buffer = read_exactly(file, size);
      LLVMFuzzerTestOneInput(buffer.get(), size);
      ++replayed;
    }
  }
  // Every target has a seed corpus, so zero inputs means a wrong path, not a clean run.
  if (replayed == 0) {
    std::cerr << "no input found under the paths given\n";
    return 1;
  }
  std::cout << replayed << " input(s) replayed\n";
  return 0;
}
