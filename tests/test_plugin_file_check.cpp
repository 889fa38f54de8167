// plugin_file_check.cpp: the ELF checks before dlopen(), against the real test plugin, every
// prefix of it, headers altered one field at a time, random bytes, and special files on disk.

#include "plugin_file_check.hpp"

#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sys/stat.h>
#include <vector>

using sluice::detail::loadable_library_problem;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<unsigned char>;

const fs::path good_plugin = fs::path(SLUICE_TEST_PLUGIN_DIR) / "good" / "libtestgood.so";

Bytes read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& file, const Bytes& bytes, std::size_t size) {
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(size));
}

std::string check(const Bytes& bytes, std::size_t size) {
  return loadable_library_problem(std::span<const unsigned char>(bytes.data(), size));
}

std::string check(const Bytes& bytes) {
  return check(bytes, bytes.size());
}

Elf64_Ehdr header_of(const Bytes& bytes) {
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof header);
  return header;
}

std::vector<Elf64_Phdr> segments_of(const Bytes& bytes) {
  const Elf64_Ehdr header = header_of(bytes);
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  std::memcpy(segments.data(), bytes.data() + header.e_phoff, header.e_phnum * sizeof(Elf64_Phdr));
  return segments;
}

// `bytes` with the ELF header changed by `change`.
template <class Change> Bytes with_header(Bytes bytes, Change&& change) {
  Elf64_Ehdr header = header_of(bytes);
  change(header);
  std::memcpy(bytes.data(), &header, sizeof header);
  return bytes;
}

// `bytes` with program header `index` changed by `change`.
template <class Change> Bytes with_segment(Bytes bytes, std::size_t index, Change&& change) {
  const Elf64_Ehdr header = header_of(bytes);
  Elf64_Phdr segment;
  unsigned char* at = bytes.data() + header.e_phoff + index * sizeof(Elf64_Phdr);
  std::memcpy(&segment, at, sizeof segment);
  change(segment);
  std::memcpy(at, &segment, sizeof segment);
  return bytes;
}

// What the check must say of the first `cut` bytes of the plugin, worked out from its headers
// in the order the ELF format puts them.
std::string expected_for_prefix(const Bytes& bytes, std::size_t cut) {
  const std::string refusal = "not a loadable shared library: ";
  if (cut == 0)
    return refusal + "the file is empty";
  if (cut < SELFMAG)
    return refusal + "not an ELF file (no ELF magic number at its start)";
  if (cut < sizeof(Elf64_Ehdr))
    return refusal +
           fmt::format("the ELF header needs 64 bytes but the file has {} bytes (truncated?)", cut);
  const Elf64_Ehdr header = header_of(bytes);
  const std::size_t table_end = header.e_phoff + header.e_phnum * sizeof(Elf64_Phdr);
  if (cut < table_end)
    return refusal + fmt::format("its program header table ends at byte {} but the file has {} "
                                 "bytes (truncated?)",
                                 table_end, cut);
  const std::vector<Elf64_Phdr> segments = segments_of(bytes);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Elf64_Phdr& s = segments[i];
    if ((s.p_type == PT_LOAD || s.p_type == PT_DYNAMIC) && s.p_offset + s.p_filesz > cut)
      return refusal + fmt::format("segment {} ({}) ends at byte {} but the file has {} bytes "
                                   "(truncated?)",
                                   i, s.p_type == PT_LOAD ? "LOAD" : "DYNAMIC",
                                   s.p_offset + s.p_filesz, cut);
  }
  return {};
}

std::size_t segments_end(const Bytes& bytes) {
  std::size_t end = 0;
  for (const Elf64_Phdr& s : segments_of(bytes))
    if (s.p_type == PT_LOAD)
      end = std::max<std::size_t>(end, s.p_offset + s.p_filesz);
  return end;
}

} // namespace

TEST_CASE("the built plugin passes, and every prefix that cuts a segment short is refused") {
  const Bytes plugin = read_bytes(good_plugin);
  REQUIRE(plugin.size() > sizeof(Elf64_Ehdr));
  CHECK(check(plugin) == "");
  CHECK(loadable_library_problem(good_plugin) == "");

  // Every length through the headers, then a stride through the segments, and each segment's
  // own end and the byte before it.
  const std::size_t end = segments_end(plugin);
  REQUIRE(end <= plugin.size());
  std::vector<std::size_t> cuts;
  for (std::size_t cut = 0; cut <= end; cut += cut < 4096 ? 1 : 97)
    cuts.push_back(cut);
  for (const Elf64_Phdr& s : segments_of(plugin))
    if ((s.p_type == PT_LOAD || s.p_type == PT_DYNAMIC) && s.p_filesz > 0) {
      cuts.push_back(s.p_offset + s.p_filesz);
      cuts.push_back(s.p_offset + s.p_filesz - 1);
    }
  for (const std::size_t cut : cuts) {
    CAPTURE(cut);
    CHECK(check(plugin, cut) == expected_for_prefix(plugin, cut));
  }
  // The section headers and debug information after the last segment are not needed to load.
  CHECK(check(plugin, end) == "");

  // The same through real files: the first half of the loaded part (what crashed dlopen()
  // with SIGBUS), the headers alone, and a file shorter than the ELF header.
  test_support::TempDir dir;
  for (const std::size_t cut : {end / 2, std::size_t{200}, std::size_t{40}}) {
    CAPTURE(cut);
    write_bytes(dir / "libcut.so", plugin, cut);
    const std::string problem = loadable_library_problem(dir / "libcut.so");
    CHECK(problem == expected_for_prefix(plugin, cut));
    CHECK(problem.find("truncated?") != std::string::npos);
  }
}

TEST_CASE("a header for another machine, class, byte order or type says what is wrong") {
  const Bytes plugin = read_bytes(good_plugin);
  const std::string refusal = "not a loadable shared library: ";

  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) { h.e_ident[EI_CLASS] = ELFCLASS32; })) ==
        refusal + "a 32-bit ELF file; this host loads 64-bit ones");
  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) { h.e_ident[EI_CLASS] = 7; })) ==
        refusal + "unknown ELF class 7");
  if constexpr (std::endian::native == std::endian::little)
    CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) { h.e_ident[EI_DATA] = ELFDATA2MSB; })) ==
          refusal + "a big-endian ELF file; this host is little-endian");
  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) { h.e_ident[EI_DATA] = 9; })) ==
        refusal + "unknown ELF byte order 9");
  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) { h.e_version = 2; })) ==
        refusal + "unknown ELF version 2");
  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) {
          h.e_machine = EM_ARM;
        })).starts_with(refusal + "built for 32-bit ARM; this host is "));
  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) {
          h.e_machine = 4242;
        })).starts_with(refusal + "built for machine 4242; this host is "));
  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) { h.e_type = ET_EXEC; })) ==
        refusal + "an executable, not a shared library");
  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) { h.e_type = ET_REL; })) ==
        refusal + "a relocatable object (.o), not a shared library");
  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) { h.e_phentsize = 32; })) ==
        refusal + "its program headers are 32 bytes each; ELF64 needs 56");
  CHECK(check(with_header(plugin, [](Elf64_Ehdr& h) { h.e_phnum = 0; })) ==
        refusal + "it has no program headers");

  const std::uint64_t huge = std::numeric_limits<std::uint64_t>::max() - 15;
  CHECK(check(with_header(plugin, [&](Elf64_Ehdr& h) { h.e_phoff = huge; })) ==
        refusal + fmt::format("its program header table starts at byte {}, past the end of the "
                              "file ({} bytes)",
                              huge, plugin.size()));
  // A table that starts inside the file and runs past its end (placed near the end: a
  // sanitizer build's plugin is larger than the 3.7 MB that 0xffff entries span).
  CHECK(check(with_header(plugin,
                          [&](Elf64_Ehdr& h) {
                            h.e_phoff = plugin.size() - 56;
                            h.e_phnum = 2;
                          })) ==
        refusal + fmt::format("its program header table ends at byte {} but the file has "
                              "{} bytes (truncated?)",
                              plugin.size() + 56, plugin.size()));

  // A segment whose end does not fit in 64 bits, one past the end, and none to load.
  const std::vector<Elf64_Phdr> segments = segments_of(plugin);
  const auto first_load = static_cast<std::size_t>(
      std::find_if(segments.begin(), segments.end(),
                   [](const Elf64_Phdr& s) { return s.p_type == PT_LOAD; }) -
      segments.begin());
  REQUIRE(first_load < segments.size());
  CHECK(check(with_segment(plugin, first_load, [&](Elf64_Phdr& s) { s.p_offset = huge; })) ==
        refusal + fmt::format("segment {} (LOAD) starts at byte {}, past the end of the file ({} "
                              "bytes)",
                              first_load, huge, plugin.size()));
  CHECK(check(with_segment(plugin, first_load,
                           [&](Elf64_Phdr& s) { s.p_filesz = plugin.size() + 1 - s.p_offset; })) ==
        refusal + fmt::format("segment {} (LOAD) ends at byte {} but the file has {} bytes "
                              "(truncated?)",
                              first_load, plugin.size() + 1, plugin.size()));
  Bytes nothing_to_load = plugin;
  for (std::size_t i = 0; i < segments.size(); ++i)
    if (segments[i].p_type == PT_LOAD)
      nothing_to_load = with_segment(nothing_to_load, i, [](Elf64_Phdr& s) { s.p_type = PT_NULL; });
  CHECK(check(nothing_to_load) == refusal + "it has no loadable segment");

  const std::string script = "#!/bin/sh\necho hello\n";
  CHECK(loadable_library_problem(
            std::span(reinterpret_cast<const unsigned char*>(script.data()), script.size())) ==
        refusal + "not an ELF file (no ELF magic number at its start)");
  CHECK(loadable_library_problem(std::span<const unsigned char>()) ==
        refusal + "the file is empty");
}

TEST_CASE("any bytes at all: altered headers and random data never crash the check") {
  // The check reads offsets and sizes from the file; under the sanitizer builds this is where
  // an unchecked one would show. A fuzzer target will take this further.
  const Bytes plugin = read_bytes(good_plugin);
  const std::size_t headers_end = header_of(plugin).e_phoff + segments_of(plugin).size() * 56;
  std::mt19937_64 random(20260513);
  const auto below = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  for (int round = 0; round < 20000; ++round) {
    Bytes bytes(plugin.begin(), plugin.begin() + static_cast<std::ptrdiff_t>(headers_end + 64));
    for (std::size_t changes = 1 + below(8); changes > 0; --changes) {
      const std::size_t at = below(bytes.size());
      if (random() % 2 == 0) {
        bytes[at] = static_cast<unsigned char>(random());
      } else { // a whole 8-byte field, often a boundary value
        const std::uint64_t values[] = {0, 1, 0xffff, 0x7fffffffffffffff, ~0ull, random()};
        std::memcpy(bytes.data() + std::min(at, bytes.size() - 8), &values[below(6)], 8);
      }
    }
    const std::string problem = check(bytes, below(bytes.size() + 1));
    CHECK((problem.empty() || problem.starts_with("not a loadable shared library: ")));
  }
  for (int round = 0; round < 2000; ++round) {
    Bytes bytes(below(300));
    for (unsigned char& b : bytes)
      b = static_cast<unsigned char>(random());
    if (bytes.size() >= SELFMAG && round % 2 == 0)
      std::memcpy(bytes.data(), ELFMAG, SELFMAG);
    CHECK(!check(bytes).empty()); // nothing this small can be loaded
  }
}

TEST_CASE("the file form refuses what is not a regular file, and never waits on a FIFO") {
  test_support::TempDir dir;
  CHECK(loadable_library_problem(dir.path()) == "not a regular file");
  REQUIRE(::mkfifo((dir / "fifo.so").c_str(), 0644) == 0);
  CHECK(loadable_library_problem(dir / "fifo.so") == "not a regular file");
  CHECK(loadable_library_problem(dir / "missing.so") ==
        "cannot open it: No such file or directory");
  std::ofstream(dir / "empty.so").flush();
  CHECK(loadable_library_problem(dir / "empty.so") ==
        "not a loadable shared library: the file is empty");
}
