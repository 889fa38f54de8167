// Processes refreshing a Zoom connection are killed (SIGKILL) at random moments; after each
// kill a normal run must find the store intact and the connection either healthy or, when
// the kill fell between Zoom rotating the refresh token and the commit, marked as needing
// re-authorisation (then the test reconnects and goes on). Reports how often it survived.

#include "child_process.hpp"
#include "emulator_process.hpp"
#include "support/files.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;
using sluice::zoom_emulator::test::EmulatorProcess;

namespace {

struct TempDir {
  TempDir() {
    path = fs::temp_directory_path() / ("sluice-kill-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

// Starts the sluice CLI with `args`, output to files; returns its pid.
pid_t spawn_cli(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  std::vector<std::string> argv = {SLUICE_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  return sluice::zoom_emulator::test::spawn_with_output_files(argv, out, err, environ);
}

struct Result {
  int status = -1;
  std::string out, err;
};

Result run_cli(const std::vector<std::string>& args, const fs::path& dir) {
  const pid_t pid = spawn_cli(args, dir / "out", dir / "err");
  int raw = 0;
  ::waitpid(pid, &raw, 0);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, test_support::read_file(dir / "out"),
          test_support::read_file(dir / "err")};
}

} // namespace

TEST_CASE("kill -9 during refreshes never corrupts the store; the connection survives") {
  TempDir dir;
  // Access tokens live 1 s, so every check below refreshes (the plugin refreshes tokens that
  // expire within two minutes); refresh tokens rotate and die on reuse.
  EmulatorProcess emulator({"--auto-approve", "--access-token-ttl", "1", "--plan", "business"});
  ::setenv("SLUICE_CREDENTIALS", (dir.path / "credentials.db").c_str(), 1);
  ::setenv("SLUICE_ZOOM_CLIENT_SECRET", "emulator-secret", 1);
  const std::vector<std::string> connect = {"connect",
                                            "zoom",
                                            "--name",
                                            "work",
                                            "--client-id",
                                            "emulator-client",
                                            "--api-base-url",
                                            emulator.url() + "/v2",
                                            "--oauth-base-url",
                                            emulator.url(),
                                            "--browser-command",
                                            "curl -s -L -o /dev/null"};
  Result r = run_cli(connect, dir.path);
  INFO("connect: " << r.out << r.err);
  REQUIRE(r.status == 0);

  std::mt19937 random(20261128);
  std::uniform_int_distribution<int> delay_ms(0, 120);
  constexpr int rounds = 200;
  int survived = 0;
  int lost = 0;
  for (int round = 0; round < rounds; ++round) {
    const pid_t victim = spawn_cli({"connections", "check", "work"}, dir.path / "victim.out",
                                   dir.path / "victim.err");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    ::kill(victim, SIGKILL);
    ::waitpid(victim, nullptr, 0);

    r = run_cli({"connections", "check", "work"}, dir.path);
    CAPTURE(round);
    CAPTURE(r.out);
    CAPTURE(r.err);
    if (r.status == 0) {
      CHECK(r.out.find("signed in as") != std::string::npos);
      ++survived;
      continue;
    }
    // The only acceptable failure: the rotation was lost in the kill window, and the
    // connection says so (never a damaged store, never a silent wrong state).
    REQUIRE(r.err.find("sluice connect zoom --reconnect --name work") != std::string::npos);
    ++lost;
    std::vector<std::string> reconnect = connect;
    reconnect.push_back("--reconnect");
    REQUIRE(run_cli(reconnect, dir.path).status == 0);
  }
  MESSAGE("kill -9 during refresh: the connection survived " << survived << " of " << rounds
                                                             << " kills (lost " << lost << ")");
  CHECK(survived + lost == rounds);
  // The window (token answer received, commit written) is about a millisecond of a ~50 ms
  // process (docs/architecture.md, "Credentials"), but its share depends on the machine and
  // its load: 2.5 % of kills landed in it on a loaded CI machine, 0.3 to 0.7 % on a developer
  // machine. The bound allows 12 losses in 200: at 2.5 % that is crossed by chance about once
  // in 500 runs, while the rollback journal (12 to 17 % lost, 25 to 35 expected here) fails it
  // every time.
  CHECK(survived >= rounds - 12);

  r = run_cli({"connections", "list", "--json"}, dir.path);
  CHECK(r.status == 0);
  CHECK(r.out.find("\"healthy\"") != std::string::npos);
}
