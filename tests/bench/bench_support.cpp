// What both sides of sluice_bench share (bench_support.hpp): the shapes, the reference
// answer, and the clock, page-fault and heap probes.

#include "bench_support.hpp"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <stdexcept>

namespace bench {

void Shape::add(std::span<const std::uint32_t> node_preds) {
  for (std::uint32_t p : node_preds)
    if (p >= size())
      throw std::logic_error("shape: a predecessor must come before its node");
  preds.insert(preds.end(), node_preds.begin(), node_preds.end());
  offsets.push_back(static_cast<std::uint32_t>(preds.size()));
}

Shape make_chain(std::uint32_t nodes) {
  Shape s;
  s.name = "chain";
  s.description = std::to_string(nodes) + "-node chain";
  s.offsets.reserve(nodes + 1);
  s.preds.reserve(nodes);
  s.add({});
  for (std::uint32_t i = 1; i < nodes; ++i) {
    const std::uint32_t prev = i - 1;
    s.add(std::span(&prev, 1));
  }
  return s;
}

Shape make_fan(std::uint32_t width) {
  Shape s;
  s.name = "fanout";
  s.description = "fan-out/fan-in 1 -> " + std::to_string(width) + " -> 1";
  s.offsets.reserve(width + 3);
  s.preds.reserve(2 * static_cast<std::size_t>(width));
  s.add({});
  const std::uint32_t root = 0;
  for (std::uint32_t i = 0; i < width; ++i)
    s.add(std::span(&root, 1));
  std::vector<std::uint32_t> middle(width);
  for (std::uint32_t i = 0; i < width; ++i)
    middle[i] = i + 1;
  s.add(middle);
  return s;
}

Shape make_layered_dag(std::uint32_t nodes, std::uint32_t layer_width, std::uint32_t max_preds,
                       std::uint64_t seed) {
  Shape s;
  s.name = "dag";
  s.description = "random layered DAG, " + std::to_string(nodes) + " nodes, layers of " +
                  std::to_string(layer_width) + ", 1.." + std::to_string(max_preds) +
                  " preds from the 2 previous layers";
  // mt19937_64's output sequence is fixed by the standard (distributions are not), so the
  // DAG is the same with every standard library.
  std::mt19937_64 rng(seed);
  s.offsets.reserve(nodes + 1);
  std::vector<std::uint32_t> chosen;
  for (std::uint32_t i = 0; i < nodes; ++i) {
    const std::uint32_t layer = i / layer_width;
    chosen.clear();
    if (layer > 0) {
      const std::uint32_t first = (layer >= 2 ? layer - 2 : 0) * layer_width;
      const std::uint32_t candidates = layer * layer_width - first;
      const auto want = static_cast<std::uint32_t>(1 + rng() % max_preds);
      while (chosen.size() < want) {
        const auto p = static_cast<std::uint32_t>(first + rng() % candidates);
        if (std::find(chosen.begin(), chosen.end(), p) == chosen.end())
          chosen.push_back(p);
      }
      std::sort(chosen.begin(), chosen.end());
    }
    s.add(chosen);
  }
  return s;
}

Shape make_diamond() {
  Shape s;
  s.name = "diamond";
  s.description = "10-node diamond 1 -> 4 -> 4 -> 1";
  s.add({});
  const std::uint32_t root = 0;
  for (int i = 0; i < 4; ++i)
    s.add(std::span(&root, 1));
  for (std::uint32_t i = 0; i < 4; ++i) {
    std::uint32_t two[2] = {1 + i, 1 + (i + 1) % 4};
    std::sort(std::begin(two), std::end(two));
    s.add(two);
  }
  const std::uint32_t last[4] = {5, 6, 7, 8};
  s.add(last);
  return s;
}

std::vector<std::int64_t> reference_values(const Shape& shape) {
  std::vector<std::int64_t> values(shape.size());
  for (std::uint32_t i = 0; i < shape.size(); ++i) {
    std::int64_t acc = 1;
    for (std::uint32_t p : shape.preds_of(i))
      acc = add_step(static_cast<std::uint64_t>(acc), values[p]);
    values[i] = acc;
  }
  return values;
}

namespace {
long minor_faults_now() noexcept {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}
} // namespace

Probe probe() noexcept {
  Probe p;
  p.minor_faults = minor_faults_now();
  // Clock last, so that the getrusage system call is outside the timed region.
  p.time = std::chrono::steady_clock::now();
  return p;
}

Elapsed since(const Probe& start) noexcept {
  const auto end = std::chrono::steady_clock::now();
  Elapsed e;
  e.ns = std::chrono::duration<double, std::nano>(end - start.time).count();
  e.minor_faults = minor_faults_now() - start.minor_faults;
  return e;
}

std::size_t heap_in_use() noexcept {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "g++ " __VERSION__;
#else
  return "unknown compiler";
#endif
}

} // namespace bench
