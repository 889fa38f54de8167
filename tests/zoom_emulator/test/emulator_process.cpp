// The real emulator binary as a test's child process (emulator_process.hpp): started on a
// free port, stopped when the guard goes.

#include "emulator_process.hpp"

#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace sluice::zoom_emulator::test {

EmulatorProcess::EmulatorProcess(std::vector<std::string> arguments) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0)
    throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_strings = {SLUICE_ZOOM_EMULATOR, "--port", "0", "--seed", "42"};
  argv_strings.insert(argv_strings.end(), arguments.begin(), arguments.end());
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Die with the test: an orphaned emulator would keep the test's output pipe open and
    // hang whoever reads it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    std::vector<char*> argv;
    for (std::string& argument : argv_strings)
      argv.push_back(argument.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  // The first line is `listening on URL`; read it byte by byte so nothing after it is lost.
  std::string line;
  char c = 0;
  while (::read(pipe_fds[0], &c, 1) == 1 && c != '\n')
    line.push_back(c);
  ::close(pipe_fds[0]);
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) {
    terminate();
    throw std::runtime_error("emulator did not start; first line: '" + line + "'");
  }
  url_ = line.substr(prefix.size());
  port_ = static_cast<std::uint16_t>(std::stoi(url_.substr(url_.rfind(':') + 1)));
}

int EmulatorProcess::terminate() {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

EmulatorProcess::~EmulatorProcess() {
  terminate();
}

} // namespace sluice::zoom_emulator::test
