#pragma once
// Starting a program for a test with its output in files: the tests that run the sluice CLI
// (several at once, or killed mid-way) read what it printed afterwards.

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace sluice::zoom_emulator::test {

/// Starts `argv[0]` with `argv`, stdin from `in`, stdout and stderr written to
/// `out` and `err` (created or truncated, mode 0600), in the environment `envp` (null
/// terminated). Returns the child's pid; throws std::runtime_error when it cannot start.
pid_t spawn_with_output_files(const std::vector<std::string>& argv,
                              const std::filesystem::path& out, const std::filesystem::path& err,
                              char* const* envp, const std::filesystem::path& in = "/dev/null");

} // namespace sluice::zoom_emulator::test
