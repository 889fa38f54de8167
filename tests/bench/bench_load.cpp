// sluice_load_bench: loading and validating a large pipeline, next to yaml-cpp's YAML::Load of
// the same text (the anchor: what reading the file into a general-purpose YAML tree costs).
// It reports; it does not assert.
//
//   build/release/tests/bench/sluice_load_bench [--nodes N] [--rounds R]

#include <sluice/engine.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace {

// A chain of core.template nodes, each reading the one before it, about 80 bytes of YAML
// per node: the shape of a long generated pipeline. Built by appending only: GCC 12 at -O3 reports
// a false -Wrestrict for "literal" + string.
std::string make_pipeline(int nodes) {
  std::string yaml = "version: 1\nname: load-bench\ninputs:\n  who: { type: string, default: "
                     "world }\nnodes:\n";
  for (int i = 0; i < nodes; ++i) {
    yaml += "  n";
    yaml += std::to_string(i);
    yaml += ":\n    type: core.template\n    with:\n      template: \"";
    if (i == 0) {
      yaml += "hello {{ inputs.who }}";
    } else {
      yaml += "{{ n";
      yaml += std::to_string(i - 1);
      yaml += ".text }}!";
    }
    yaml += "\"\n";
  }
  yaml += "outputs:\n  last: \"{{ n";
  yaml += std::to_string(nodes - 1);
  yaml += ".text }}\"\n";
  return yaml;
}

template <typename Work> double best_ms(int rounds, Work&& work) {
  double best = 1e300;
  for (int round = 0; round < rounds; ++round) {
    const auto started = std::chrono::steady_clock::now();
    auto kept = work(); // destroyed after the clock stops, on both sides
    const auto took = std::chrono::steady_clock::now() - started;
    best = std::min(best, std::chrono::duration<double, std::milli>(took).count());
  }
  return best;
}

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--nodes N] [--rounds R]\n", argv0);
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  int nodes = 10'000;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--nodes" && i + 1 < argc)
      nodes = std::atoi(argv[++i]);
    else if (arg == "--rounds" && i + 1 < argc)
      rounds = std::atoi(argv[++i]);
    else
      usage(argv[0]);
  }
  if (nodes < 1 || rounds < 1)
    usage(argv[0]);

  const std::string text = make_pipeline(nodes);
  sluice::Engine engine;
  // A checked warm-up: the text must load, and both sides see warm caches and allocator.
  const sluice::Pipeline pipeline = engine.load_string(text, "bench.yaml");
  if (pipeline.node_count() != static_cast<std::size_t>(nodes)) {
    std::fprintf(stderr, "!! WRONG RESULT: %zu nodes loaded, %d written\n", pipeline.node_count(),
                 nodes);
    return 1;
  }
  (void)YAML::Load(text);

  std::printf("sluice_load_bench (%s build): %d nodes, %.2f MB of YAML, best of %d\n",
              SLUICE_BENCH_BUILD_TYPE, nodes, static_cast<double>(text.size()) / 1e6, rounds);
  // Alternated, so that a noisy moment on the machine hits both sides alike.
  double yaml_cpp = 1e300;
  double sluice = 1e300;
  for (int round = 0; round < rounds; ++round) {
    yaml_cpp = std::min(yaml_cpp, best_ms(1, [&] { return YAML::Load(text); }));
    sluice = std::min(sluice, best_ms(1, [&] { return engine.load_string(text, "bench.yaml"); }));
  }
  std::printf("%-52s %9.1f ms\n", "yaml-cpp YAML::Load (the anchor)", yaml_cpp);
  std::printf("%-52s %9.1f ms  %.2fx the anchor (target <= 0.30x)\n",
              "sluice Engine::load_string (parse, check, compile)", sluice, sluice / yaml_cpp);
  std::printf("%-52s %9.0f ns\n", "sluice per node", sluice * 1e6 / nodes);
  return 0;
}
