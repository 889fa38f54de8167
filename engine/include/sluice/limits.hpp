#pragma once
/// @file
/// `Limits`: how large a pipeline and what its nodes make may grow before the engine refuses
/// it, so that a small file cannot make a process run out of memory.
///
/// ```
/// sluice::EngineOptions options;
/// options.limits.nodes = 1'000'000;       // a generated pipeline with a million nodes
/// sluice::Engine engine(options);
/// ```

#include <cstddef>

namespace sluice {

/// Each limit is refused with a message that names it, its value and how to raise it: a
/// load-time limit as a `LoadError` diagnostic at the position of what passed it, a run-time
/// limit as the failure of the node that passed it (category `permanent`, not retried).
///
/// The defaults are far above any pipeline written by hand or generated for real work, and
/// keep what one file can cost bounded: aliases cannot expand a 1 MB file beyond 64 MiB of
/// text (without the limit, 11,000 aliases of a 1 MiB string asked for 11 GiB).
struct Limits {
  /// Bytes of pipeline YAML (a file or a string), checked before it is parsed. The YAML
  /// parser's own tree takes up to ~250 times the text, so this is also what bounds it.
  std::size_t input_bytes = std::size_t{8} << 20; // 8 MiB
  /// Bytes of scalars (and map keys) once aliases (`*name`) are expanded, counted while the
  /// YAML is converted, so an alias bomb stops before its copies are made.
  std::size_t expanded_bytes = std::size_t{64} << 20; // 64 MiB
  /// Nodes in one pipeline (`nodes:` entries, or `PipelineSpec::nodes`).
  std::size_t nodes = 100'000;
  /// Bytes of one template: a string in the pipeline that holds `{{`. Strings without one
  /// are constants and only count towards `expanded_bytes`.
  std::size_t template_bytes = std::size_t{64} << 10; // 64 KiB
  /// Elements of one `for_each` list, checked when the node starts.
  std::size_t for_each_items = 100'000;
  /// Approximate bytes of one node's output (for a `for_each` node, of all its elements'
  /// outputs together): 16 per value, 48 more per string, list and object, plus the bytes of
  /// every string and member name. A value shared by several places counts once per place,
  /// as it would when printed.
  std::size_t output_bytes = std::size_t{64} << 20; // 64 MiB
};

} // namespace sluice
