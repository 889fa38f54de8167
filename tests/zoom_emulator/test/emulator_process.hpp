#pragma once
// Starts the real sluice-zoom-emulator binary as a child process on a free port and
// stops it (SIGTERM, then SIGKILL) when the guard goes out of scope.

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace sluice::zoom_emulator::test {

class EmulatorProcess {
public:
  // Extra command-line arguments after `--port 0 --seed 42`.
  explicit EmulatorProcess(std::vector<std::string> arguments = {});
  ~EmulatorProcess();
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& url() const { return url_; }
  // Sends SIGTERM and waits; returns the exit status as from waitpid.
  int terminate();

private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string url_;
};

} // namespace sluice::zoom_emulator::test
