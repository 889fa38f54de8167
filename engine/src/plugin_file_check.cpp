// The ELF header checks a plugin file passes before dlopen(): what glibc's loader would map
// must lie inside the file, and the file must be a shared library for this machine.
//
// Out of scope: a file changed between this check and dlopen(). Whoever can write the plugin
// file can already make it run any code they like; the permission check
// (plugin_file_trust.cpp) is what keeps such writers out. This check is about accidents.

#include "plugin_file_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace sluice::detail {

namespace {

// Plugins share C++ objects with the host, so they are built for the host's own ELF class;
// a 32-bit port would read Elf32_* headers here.
static_assert(sizeof(void*) == 8, "the plugin file check reads 64-bit ELF files only");

constexpr unsigned char host_data =
    std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;

#if defined(__x86_64__)
constexpr Elf64_Half host_machine = EM_X86_64;
#elif defined(__aarch64__)
constexpr Elf64_Half host_machine = EM_AARCH64;
#elif defined(__powerpc64__)
constexpr Elf64_Half host_machine = EM_PPC64;
#elif defined(__s390x__)
constexpr Elf64_Half host_machine = EM_S390;
#elif defined(__riscv)
constexpr Elf64_Half host_machine = EM_RISCV;
#elif defined(__loongarch__)
constexpr Elf64_Half host_machine = EM_LOONGARCH;
#elif defined(__mips__)
constexpr Elf64_Half host_machine = EM_MIPS;
#else
#error "plugin_file_check.cpp: name this architecture's ELF e_machine (see <elf.h>)"
#endif

std::string machine_name(Elf64_Half machine) {
  switch (machine) {
  case EM_386:
    return "i386";
  case EM_X86_64:
    return "x86-64";
  case EM_ARM:
    return "32-bit ARM";
  case EM_AARCH64:
    return "AArch64";
  case EM_PPC64:
    return "PowerPC64";
  case EM_S390:
    return "s390";
  case EM_RISCV:
    return "RISC-V";
  case EM_LOONGARCH:
    return "LoongArch";
  case EM_MIPS:
    return "MIPS";
  default:
    return fmt::format("machine {}", machine);
  }
}

std::string type_name(Elf64_Half type) {
  switch (type) {
  case ET_REL:
    return "a relocatable object (.o)";
  case ET_EXEC:
    return "an executable";
  case ET_CORE:
    return "a core dump";
  default:
    return fmt::format("ELF type {}", type);
  }
}

std::string segment_name(Elf64_Word type) {
  return type == PT_LOAD ? "LOAD" : "DYNAMIC";
}

std::string refusal(std::string_view why) {
  return fmt::format("not a loadable shared library: {}", why);
}

// The checks, over any way of reading the file: `read(offset, out, size)` fills `out` with
// `size` bytes at `offset` and returns false when it cannot. Every offset and size read comes
// from the file, so each is compared with `file_size` before use, in an order that cannot
// overflow.
template <class Read> std::string check(std::uint64_t file_size, Read&& read) {
  if (file_size == 0)
    return refusal("the file is empty");
  unsigned char magic[SELFMAG] = {};
  const std::uint64_t magic_size = std::min<std::uint64_t>(file_size, SELFMAG);
  if (!read(0, magic, magic_size))
    return refusal("cannot read it");
  if (magic_size < SELFMAG || std::memcmp(magic, ELFMAG, SELFMAG) != 0)
    return refusal("not an ELF file (no ELF magic number at its start)");
  if (file_size < sizeof(Elf64_Ehdr))
    return refusal(
        fmt::format("the ELF header needs {} bytes but the file has {} bytes (truncated?)",
                    sizeof(Elf64_Ehdr), file_size));

  Elf64_Ehdr header;
  if (!read(0, &header, sizeof header))
    return refusal("cannot read its ELF header");
  const unsigned char elf_class = header.e_ident[EI_CLASS];
  if (elf_class != ELFCLASS64)
    return refusal(elf_class == ELFCLASS32
                       ? std::string("a 32-bit ELF file; this host loads 64-bit ones")
                       : fmt::format("unknown ELF class {}", elf_class));
  const unsigned char data = header.e_ident[EI_DATA];
  if (data != host_data) {
    const char* host_order = host_data == ELFDATA2LSB ? "little-endian" : "big-endian";
    return refusal(data == ELFDATA2LSB || data == ELFDATA2MSB
                       ? fmt::format("a {} ELF file; this host is {}",
                                     data == ELFDATA2LSB ? "little-endian" : "big-endian",
                                     host_order)
                       : fmt::format("unknown ELF byte order {}", data));
  }
  // From here on the header's fields are in this host's byte order.
  if (header.e_ident[EI_VERSION] != EV_CURRENT || header.e_version != EV_CURRENT)
    return refusal(fmt::format("unknown ELF version {}", header.e_ident[EI_VERSION] != EV_CURRENT
                                                             ? header.e_ident[EI_VERSION]
                                                             : header.e_version));
  if (header.e_machine != host_machine)
    return refusal(fmt::format("built for {}; this host is {}", machine_name(header.e_machine),
                               machine_name(host_machine)));
  if (header.e_type != ET_DYN)
    return refusal(fmt::format("{}, not a shared library", type_name(header.e_type)));
  if (header.e_phentsize != sizeof(Elf64_Phdr))
    return refusal(fmt::format("its program headers are {} bytes each; ELF64 needs {}",
                               header.e_phentsize, sizeof(Elf64_Phdr)));
  if (header.e_phnum == 0)
    return refusal("it has no program headers");

  const std::uint64_t table_size = std::uint64_t{header.e_phnum} * sizeof(Elf64_Phdr);
  if (header.e_phoff > file_size || table_size > file_size - header.e_phoff)
    return refusal(
        header.e_phoff > std::numeric_limits<std::uint64_t>::max() - table_size
            ? fmt::format("its program header table starts at byte {}, past the end of the "
                          "file ({} bytes)",
                          header.e_phoff, file_size)
            : fmt::format("its program header table ends at byte {} but the file has {} bytes "
                          "(truncated?)",
                          header.e_phoff + table_size, file_size));

  // At most 65535 entries of 56 bytes, and no more than the file holds (checked above).
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  if (!read(header.e_phoff, segments.data(), table_size))
    return refusal("cannot read its program headers");
  bool loadable = false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Elf64_Phdr& segment = segments[i];
    if (segment.p_type != PT_LOAD && segment.p_type != PT_DYNAMIC)
      continue;
    loadable |= segment.p_type == PT_LOAD;
    if (segment.p_offset <= file_size && segment.p_filesz <= file_size - segment.p_offset)
      continue;
    if (segment.p_offset > std::numeric_limits<std::uint64_t>::max() - segment.p_filesz)
      return refusal(fmt::format("segment {} ({}) starts at byte {}, past the end of the file "
                                 "({} bytes)",
                                 i, segment_name(segment.p_type), segment.p_offset, file_size));
    return refusal(fmt::format("segment {} ({}) ends at byte {} but the file has {} bytes "
                               "(truncated?)",
                               i, segment_name(segment.p_type), segment.p_offset + segment.p_filesz,
                               file_size));
  }
  if (!loadable)
    return refusal("it has no loadable segment");
  return {};
}

// Closes a descriptor on every path out.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const noexcept { return fd_; }

private:
  int fd_;
};

std::string errno_text(int error) {
  return std::generic_category().message(error);
}

} // namespace

std::string loadable_library_problem(const std::filesystem::path& file) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not a
  // regular file). O_NOCTTY: opening a terminal must not make it ours.
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0)
    return "cannot open it: " + errno_text(errno);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0)
    return "cannot read it: " + errno_text(errno);
  if (!S_ISREG(info.st_mode))
    return "not a regular file";

  int read_error = 0;
  const auto read = [&](std::uint64_t offset, void* out, std::uint64_t size) {
    auto* bytes = static_cast<unsigned char*>(out);
    while (size > 0) {
      const ssize_t got = ::pread(fd.get(), bytes, size, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0) { // 0: the file shrank since fstat()
        read_error = got < 0 ? errno : 0;
        return false;
      }
      bytes += got;
      offset += static_cast<std::uint64_t>(got);
      size -= static_cast<std::uint64_t>(got);
    }
    return true;
  };
  std::string problem = check(static_cast<std::uint64_t>(info.st_size), read);
  if (read_error != 0)
    return "cannot read it: " + errno_text(read_error);
  return problem;
}

std::string loadable_library_problem(std::span<const unsigned char> content) {
  const auto read = [content](std::uint64_t offset, void* out, std::uint64_t size) {
    if (offset > content.size() || size > content.size() - offset)
      return false;
    if (size > 0)
      std::memcpy(out, content.data() + offset, size);
    return true;
  };
  return check(content.size(), read);
}

} // namespace sluice::detail
