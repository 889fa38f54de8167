#pragma once
// The load stage: pipeline YAML text in, a PipelineSpec (with file:line:column marks) out.

#include <sluice/diagnostic.hpp>
#include <sluice/limits.hpp>
#include <sluice/pipeline_spec.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace sluice::detail {

/// Parses YAML text into a PipelineSpec, collecting structural problems (syntax, unknown
/// keys, wrong shapes, duplicate ids) into `diagnostics` instead of throwing. A breach of
/// `limits` (input bytes, expanded bytes, nodes) stops the load: the spec comes back empty,
/// so what lies beyond the limit is never built (problems found before it are kept).
PipelineSpec parse_pipeline_yaml(std::string_view text, const std::string& file,
                                 std::vector<Diagnostic>& diagnostics, const Limits& limits = {});

} // namespace sluice::detail
