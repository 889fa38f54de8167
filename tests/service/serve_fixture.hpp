#pragma once
// The real `sluice serve` binary for tests: a site (a pipeline folder and a data folder shared
// by the servers a test starts one after another), a server on a free port, the CLI run to
// its end, and what senders of webhooks compute.

#include "child_process.hpp"
#include "http_client.hpp"
#include "support/temp_dir.hpp"

#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/wait.h>
#include <thread>

namespace serve_test {

using namespace sluice;
using sluice::zoom_emulator::test::HttpClient;
using sluice::zoom_emulator::test::HttpResult;
using sluice::zoom_emulator::test::spawn_with_output_files;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string read_all(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A folder of pipelines and a data folder, shared by the servers a test starts one after
// another (a restart is a second server on the same data).
struct Site {
  test_support::TempDir dir;
  Site() { fs::create_directories(dir / "pipelines"); }
  void add(const std::string& name, const std::string& yaml) const {
    std::ofstream(dir / "pipelines" / (name + ".yaml")) << yaml;
  }
  std::vector<std::string> environment() const {
    std::vector<std::string> env{"SLUICE_RUNS=" + (dir / "data" / "runs.db").string(),
                                 "SLUICE_CREDENTIALS=" + (dir / "data" / "credentials.db").string(),
                                 "HOME=" + dir.path().string(), "PATH=/usr/bin:/bin"};
    // Sanitizer builds: the server gets the test's suppressions and options.
    for (const char* name : {"TSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
      if (const char* value = std::getenv(name))
        env.push_back(std::string(name) + "=" + value);
    env.insert(env.end(), extra_environment.begin(), extra_environment.end());
    return env;
  }
  // Runs the CLI to the end; its stdout.
  std::string sluice(const std::vector<std::string>& words, const std::string& input = {}) const {
    const int status = sluice_status(words, input);
    REQUIRE_MESSAGE(status == 0, read_all(dir / "cli.err"));
    return read_all(dir / "cli.out");
  }
  // Runs the CLI to the end (stdin: `input`); its exit status (-1: killed).
  int sluice_status(const std::vector<std::string>& words, const std::string& input = {}) const {
    std::vector<std::string> argv{SLUICE_CLI};
    argv.insert(argv.end(), words.begin(), words.end());
    std::ofstream(dir / "cli.in") << input;
    const pid_t pid = spawn(argv, dir / "cli.out", dir / "cli.err", dir / "cli.in");
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string token() const {
    const std::string out = sluice({"tokens", "create", "tests-" + std::to_string(tokens++)});
    return out.substr(0, out.find('\n'));
  }
  pid_t spawn(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err,
              const fs::path& in = "/dev/null") const {
    std::vector<std::string> env = environment();
    std::vector<char*> pointers;
    for (std::string& word : env)
      pointers.push_back(word.data());
    pointers.push_back(nullptr);
    return spawn_with_output_files(argv, out, err, pointers.data(), in);
  }
  mutable int tokens = 0;
  /// NAME=VALUE added to what the CLI and servers get.
  std::vector<std::string> extra_environment;
};

// One `sluice serve` process on a free port.
struct Server {
  Server(const Site& site, std::vector<std::string> extra = {}) : site_(site) {
    std::vector<std::string> argv{SLUICE_CLI, "serve",       (site.dir / "pipelines").string(),
                                  "--listen", "127.0.0.1:0", "--grace",
                                  "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    err_ = site.dir /
           ("serve-" + std::to_string(::getpid()) + "-" + std::to_string(count_++) + ".err");
    pid_ = site.spawn(argv, site.dir / "serve.out", err_);
    // "serving N pipelines on http(s)://127.0.0.1:PORT" (no std::regex: GCC 12 at -O2 with
    // ASan warns inside it, and the build treats warnings as errors).
    const std::string listening = " pipelines on http";
    const std::string address = "://127.0.0.1:";
    for (int i = 0; i < 1000 && port_ == 0; ++i) {
      const std::string text = read_all(err_);
      const std::size_t at = text.find(listening);
      const std::size_t colon = at == std::string::npos ? at : text.find(address, at);
      if (colon != std::string::npos && text.find('\n', colon) != std::string::npos)
        port_ = static_cast<std::uint16_t>(std::stoi(text.substr(colon + address.size())));
      else
        std::this_thread::sleep_for(10ms);
    }
    REQUIRE_MESSAGE(port_ != 0, read_all(err_));
  }
  ~Server() {
    // A sanitizer's report from the server would otherwise go with the temporary folder.
    if (const std::string text = log(); text.find("Sanitizer") != std::string::npos)
      std::cerr << "--- the server's log:\n" << text << "---\n";
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Sends `signal` and waits; the exit status (or 128 + signal when killed by it).
  int stop(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string log() const { return read_all(err_); }
  void signal(int number) const { ::kill(pid_, number); }
  std::uint16_t port() const { return port_; }

private:
  const Site& site_;
  fs::path err_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  static inline int count_ = 0;
};

inline const std::string hello =
    "version: 1\nname: hello\n"
    "inputs: { who: { type: string, default: world } }\n"
    "nodes:\n"
    "  say: { type: core.template, with: { template: \"Hello {{ inputs.who }}\" } }\n"
    "outputs: { message: \"{{ say.text }}\" }\n";

inline std::string slow(const std::string& name, const std::string& extra) {
  return "version: 1\nname: " + name +
         "\ninputs: { ms: { type: integer, default: 100 } }\n"
         "nodes:\n"
         "  wait: { type: core.delay, with: { ms: \"{{ inputs.ms }}\" } }\n" +
         extra;
}

inline HttpResult wait_until_final(HttpClient& client, const std::string& token,
                                   const std::string& id) {
  HttpResult run;
  for (int i = 0; i < 1000; ++i) {
    run = client.api("GET", "/v1/runs/" + id, token);
    const std::string status = run.json()["status"].to_text();
    if (status != "queued" && status != "running")
      break;
    std::this_thread::sleep_for(10ms);
  }
  return run;
}

// What a sender puts in the signature header: t=UNIX,v1=hex(HMAC-SHA256(secret, "UNIX.body")).
inline std::string signature(const std::string& secret, std::int64_t unix_seconds,
                             const std::string& body) {
  const std::string message = std::to_string(unix_seconds) + "." + body;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &size);
  std::string hex;
  for (unsigned i = 0; i < size; ++i) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", digest[i]);
    hex += pair;
  }
  return "t=" + std::to_string(unix_seconds) + ",v1=" + hex;
}

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace serve_test
