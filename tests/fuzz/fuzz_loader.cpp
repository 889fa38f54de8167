// Fuzz target: a pipeline's YAML through the loader and the compiler to a plan, as
// Engine::load_string does for `sluice run` and `sluice validate`. Any text either loads or
// throws LoadError with at least one diagnostic; any other exception, a crash or a leak is a
// finding. A loaded pipeline is also drawn as DOT and Mermaid (`sluice graph`).

#include <sluice/engine.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

// One engine for the whole run: loading is read-only on it, and making one per input would
// start and join its worker thread every time. One thread: nothing is run.
const sluice::Engine& engine() {
  static const sluice::Engine instance([] {
    sluice::EngineOptions options;
    options.threads = 1;
    return options;
  }());
  return instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  try {
    const sluice::Pipeline pipeline = engine().load_string(yaml, "fuzz.yaml");
    (void)pipeline.to_dot();
    (void)pipeline.to_mermaid();
  } catch (const sluice::LoadError& e) {
    if (e.diagnostics().empty()) {
      std::fprintf(stderr, "fuzz_loader: LoadError without a diagnostic: %s\n", e.what());
      std::abort();
    }
    for (const sluice::Diagnostic& diagnostic : e.diagnostics())
      (void)diagnostic.to_string();
  }
  return 0;
}
