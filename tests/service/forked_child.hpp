#pragma once
// A child process for tests that kill one with SIGKILL in the middle of its work: it reports
// to the test through a pipe, a line at a time, and the test reads what it reported.

#include <doctest/doctest.h>

#include <csignal>
#include <cstddef>
#include <functional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace sluice::service::test {

struct Child {
  pid_t pid;
  int from_child; ///< the read end of the pipe
};

// A child process running `body`, which reports through the pipe it is given (write_line); it
// ends with _exit (2 when `body` threw), never returning into the test.
inline Child fork_child(const std::function<void(int to_parent)>& body) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    try {
      body(pipe_fds[1]);
      ::_exit(0);
    } catch (...) {
      ::_exit(2);
    }
  }
  ::close(pipe_fds[1]);
  return {child, pipe_fds[0]};
}

// In a child: one line to the test (the child ends if the test is gone).
inline void write_line(int to_parent, const std::string& text) {
  const std::string line = text + "\n";
  if (::write(to_parent, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    ::_exit(3);
}

// One line from the child (empty when it ended first).
inline std::string read_line(int from_child) {
  std::string line;
  char c = 0;
  while (::read(from_child, &c, 1) == 1 && c != '\n')
    line.push_back(c);
  return line;
}

// Reads the child's lines until there are `count`, kills it with SIGKILL, and returns every
// line it wrote, those after the count included. Closes the pipe.
inline std::vector<std::string> lines_until_killed(const Child& child, std::size_t count) {
  std::vector<std::string> lines;
  std::string buffer;
  char chunk[4096];
  const auto take_lines = [&] {
    for (std::size_t end; (end = buffer.find('\n')) != std::string::npos;) {
      lines.push_back(buffer.substr(0, end));
      buffer.erase(0, end + 1);
    }
  };
  while (lines.size() < count) {
    const ssize_t n = ::read(child.from_child, chunk, sizeof chunk);
    REQUIRE(n > 0);
    buffer.append(chunk, static_cast<std::size_t>(n));
    take_lines();
  }
  ::kill(child.pid, SIGKILL);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  for (ssize_t n; (n = ::read(child.from_child, chunk, sizeof chunk)) > 0;)
    buffer.append(chunk, static_cast<std::size_t>(n));
  ::close(child.from_child);
  take_lines();
  return lines;
}

} // namespace sluice::service::test
