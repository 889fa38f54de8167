#pragma once
// Owns how a breached limit (sluice/limits.hpp) reads in a message: its value, and how to raise
// it on the command line or when embedding. The loader, the compiler and the executor all say
// it the same way.

#include <sluice/error.hpp>
#include <sluice/limits.hpp>

#include <cstddef>
#include <string>

namespace sluice::detail {

/// The category of a run-time breach (for_each items, output size): no retry can mend it, and
/// it is not the settings' fault as such.
inline constexpr ErrorCategory limit_breach = ErrorCategory::permanent;

enum class LimitKind {
  input_bytes,
  expanded_bytes,
  nodes,
  template_bytes,
  for_each_items,
  output_bytes
};

/// The limit's value as a person reads it: "64 MiB", "100 bytes", "100000 items".
std::string limit_value_text(LimitKind kind, std::size_t value);

/// What to do about it: "raise the limit with --max-nodes (Limits::nodes when embedding)".
std::string how_to_raise(LimitKind kind);

/// "the pipeline has more than 100000 nodes, the limit for one pipeline": the loader and the
/// compiler (for a spec built in code) say it alike.
std::string too_many_nodes(std::size_t limit);

/// A node's failure when its output passes Limits::output_bytes; for a for_each node
/// (`elements`), when its elements' outputs together do.
std::string output_too_large(bool elements, std::size_t limit);

/// A for_each node's failure when its list passes Limits::for_each_items.
std::string too_many_items(std::size_t items, std::size_t limit);

} // namespace sluice::detail
