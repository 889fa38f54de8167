// sluice_store_bench: what the embedded run store alone can write, the ceiling under
// `sluice serve`'s accepted runs per second. Each round accepts a group of runs shaped like
// serve_load.sh's (a webhook run of a one-node pipeline) and finishes the group before it,
// with RunStore::finish_and_accept, as RunWriter does; group sizes 1 (one client) and 64 (64
// clients). Reports runs per second and the CPU time and WAL frames per run.
// Reports; does not pass or fail on the figures. Run on demand, Release build:
//   build/release/tests/bench/sluice_store_bench [--seconds S]

#include "service/run_store.hpp"
#include "service/sqlcipher_run_store.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

using namespace sluice;
using namespace sluice::service;
namespace fs = std::filesystem;

namespace {

double cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Bytes written by this process so far (/proc/self/io): WAL frames and checkpoints.
long long written_bytes() {
  std::FILE* io = std::fopen("/proc/self/io", "r");
  if (!io)
    return 0;
  char line[128];
  long long bytes = 0;
  while (std::fgets(line, sizeof line, io))
    if (std::string_view(line).starts_with("wchar:"))
      bytes = std::atoll(line + 6);
  std::fclose(io);
  return bytes;
}

NewRun webhook_run() {
  NewRun run;
  run.pipeline = "bench";
  run.pipeline_hash = "3ffb56923b25d2d05b22327b25e396dfc1b56ecfe12c0e9e7f600d854d62e31b";
  run.trigger = "webhook /hooks/bench";
  run.inputs = Value(Object{{"who", "wrk"}});
  run.status = StoredRunStatus::running; // accepted and started in one write, as serve does
  return run;
}

RunEnding webhook_ending() {
  RunEnding ending;
  ending.status = StoredRunStatus::succeeded;
  ending.outputs = Value(Object{{"message", "hello wrk"}});
  ending.nodes = Value(Array{Value(
      Object{{"id", "say"}, {"status", "succeeded"}, {"attempts", 1}, {"duration_ms", 0.321034}})});
  const std::string time = "\"time\":\"2026-12-07T12:55:41.948Z\"";
  ending.events = {
      "{\"kind\":\"run_started\"," + time + "}",
      "{\"kind\":\"node_started\"," + time + ",\"node\":\"say\",\"attempt\":1}",
      "{\"kind\":\"node_succeeded\"," + time + ",\"node\":\"say\",\"attempt\":1}",
      "{\"kind\":\"run_finished\"," + time + ",\"status\":\"succeeded\"}",
  };
  return ending;
}

void measure(RunStore& store, std::size_t group, double seconds) {
  const std::vector<NewRun> runs(group, webhook_run());
  const RunEnding ending = webhook_ending();
  std::size_t done = 0;
  const long long bytes_before = written_bytes();
  const double cpu_before = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  std::vector<std::pair<std::string, RunEnding>> endings; // the previous group's
  while (std::chrono::steady_clock::now() < until) {
    const std::vector<std::optional<std::string>> ids = store.finish_and_accept(endings, runs);
    endings.clear();
    for (const auto& id : ids)
      endings.emplace_back(*id, ending);
    done += group;
  }
  store.finish_all(endings);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_before;
  const double bytes = static_cast<double>(written_bytes() - bytes_before);
  std::printf("%-6zu %12.0f %14.1f %14.1f %14.0f\n", group, static_cast<double>(done) / elapsed,
              elapsed * 1e6 / static_cast<double>(done), cpu * 1e6 / static_cast<double>(done),
              bytes / static_cast<double>(done));
}

} // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: sluice_store_bench [--seconds S]\n");
      return argument == "--help" ? 0 : 2;
    }
  }
  const fs::path folder =
      fs::temp_directory_path() / ("sluice-store-bench-" + std::to_string(::getpid()));
  fs::create_directories(folder);
  int status = 0;
  try {
    CredentialStoreOptions options;
    options.database = folder / "runs.db";
    options.key_file = folder / "runs.key";
    const std::unique_ptr<RunStore> store = open_run_store(options);
    std::printf("run store alone (SQLCipher, WAL, synced accepts), %s build, %.1fs per row\n",
                SLUICE_BENCH_BUILD_TYPE, seconds);
    std::printf("%-6s %12s %14s %14s %14s\n", "group", "runs/s", "µs/run", "cpu µs/run",
                "bytes/run");
    for (const std::size_t group : {1, 64})
      measure(*store, group, seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice_store_bench: %s\n", e.what());
    status = 1;
  }
  std::error_code ignored;
  fs::remove_all(folder, ignored);
  return status;
}
