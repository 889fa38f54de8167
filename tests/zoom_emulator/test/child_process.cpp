// Starting a program for a test with its output in files (child_process.hpp).

#include "child_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <stdexcept>

namespace sluice::zoom_emulator::test {

pid_t spawn_with_output_files(const std::vector<std::string>& argv,
                              const std::filesystem::path& out, const std::filesystem::path& err,
                              char* const* envp, const std::filesystem::path& in) {
  if (argv.empty())
    throw std::invalid_argument("spawn_with_output_files: no program");
  std::vector<std::string> words = argv;
  std::vector<char*> pointers;
  for (std::string& word : words)
    pointers.push_back(word.data());
  pointers.push_back(nullptr);
  // Files rather than pipes: several processes may run at once, and nobody has to drain
  // them while they run.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, pointers[0], &actions, nullptr, pointers.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

} // namespace sluice::zoom_emulator::test
