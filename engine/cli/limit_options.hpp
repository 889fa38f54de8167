#pragma once
// Owns the --max-* options that raise the engine's limits (sluice/limits.hpp) on the commands
// that load or run pipelines.

#include <sluice/limits.hpp>

namespace CLI {
class App;
}

namespace sluice::cli {

/// Which limits a command can meet: loading only (`validate`, `graph`), or also running.
enum class LimitScope { load, run };

/// Adds --max-input-bytes, --max-expanded-bytes, --max-nodes and --max-template-bytes to
/// `command`, and for LimitScope::run also --max-for-each-items and --max-output-bytes. Each
/// sets its member of `limits`, which keeps its default when the option is not given.
void add_limit_options(CLI::App& command, Limits& limits, LimitScope scope);

} // namespace sluice::cli
