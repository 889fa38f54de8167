#pragma once
// Whether a plugin file is an ELF shared library this process could map, checked from its
// headers before dlopen() sees it. dlopen() maps segments straight from the file, so a file
// cut short (a copy or download that stopped half way) faults with SIGBUS inside the dynamic
// loader, killing the process; this check turns that into a one-line refusal.
//
// Both functions are pure (no state, no exceptions but std::bad_alloc) and accept any bytes:
// the second one is the entry point for a fuzzer.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace sluice::detail {

/// Why `file` cannot be loaded as a shared library by this process ("not a loadable shared
/// library: segment 2 (LOAD) ends at byte 81920 but the file has 40960 bytes (truncated?)",
/// "cannot open it: Permission denied"), or an empty string when its headers are sound.
/// Reads the file with pread(), never mmap(), so a short file cannot fault here either.
std::string loadable_library_problem(const std::filesystem::path& file);

/// The same check over the whole content of a file held in memory.
std::string loadable_library_problem(std::span<const unsigned char> content);

} // namespace sluice::detail
