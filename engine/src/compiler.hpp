#pragma once
// The compile stage: a checked PipelineSpec and the registry's node types in, a Plan out.

#include "plan.hpp"

#include <sluice/limits.hpp>
#include <sluice/pipeline_spec.hpp>

#include <memory>

namespace sluice::detail {

class Registry;

/// Where a spec came from: the YAML loader reports a node's missing, malformed or empty
/// `type:` itself (with its position), so the compiler does not report it again; a spec built
/// in code has nobody else to report it.
enum class SpecOrigin { code, loader };

/// Type-checks `spec` against the registry's node types and builds a Plan. Collects every
/// problem and throws LoadError with all of them (sorted by position). A spec with more
/// nodes than `limits` allows is refused before anything else is looked at.
std::shared_ptr<const Plan> compile_plan(const PipelineSpec& spec, const Registry& registry,
                                         const Limits& limits = {},
                                         SpecOrigin origin = SpecOrigin::code);

} // namespace sluice::detail
