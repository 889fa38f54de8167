// Fuzz target: the ELF check a plugin file passes before dlopen() sees it
// (engine/src/plugin_file_check.cpp). Any bytes must give an answer, never a crash or a read
// past the buffer; and the check of a file on disk (read with pread) must say exactly what the
// check of the same bytes in memory says, so the two paths cannot drift apart.
//
// The seed corpus holds a complete 1.5 KB shared library (built with
// `gcc -shared -fPIC -Os -s -nostdlib` from one function) and prefixes of it.

#include "plugin_file_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace {

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_plugin_file: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// A file in memory (memfd), so each input costs no disk write; its /proc path is what the
// file check opens.
struct MemoryFile {
  MemoryFile() : fd(::memfd_create("sluice-fuzz-plugin", 0)) {
    if (fd < 0)
      broken("memfd_create failed", std::to_string(errno));
  }
  ~MemoryFile() { ::close(fd); }
  void hold(const std::uint8_t* data, std::size_t size) const {
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
      broken("writing the memory file failed", std::to_string(errno));
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd); }
  int fd;
};

const MemoryFile& memory_file() {
  static const MemoryFile instance;
  return instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in_memory =
      sluice::detail::loadable_library_problem(std::span<const unsigned char>(data, size));
  memory_file().hold(data, size);
  const std::string on_disk = sluice::detail::loadable_library_problem(memory_file().path());
  if (on_disk != in_memory)
    broken("the file check and the in-memory check disagree",
           "file:   " + on_disk + "\nmemory: " + in_memory);
  return 0;
}
