#pragma once
// The compile step for what `sluice serve` reads from a pipeline: `triggers:` (cron and time
// zone parsed, webhook paths and authentication checked), `concurrency:` and `on_restart:`.

#include "input_declarations.hpp"

#include <sluice/engine.hpp>
#include <sluice/pipeline_spec.hpp>
#include <sluice/triggers.hpp>

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::detail {

/// Fills `triggers` and `policy` from `spec`; `inputs` and `input_index` are the compiled
/// inputs (schedule inputs and webhook header inputs must name one). Problems are reported,
/// not thrown.
void compile_triggers(const PipelineSpec& spec, const std::vector<InputInfo>& inputs,
                      const std::unordered_map<std::string_view, std::uint32_t>& input_index,
                      Triggers& triggers, RunPolicy& policy, const ReportHintedProblem& error);

/// Whether `path` may be a webhook's path: `/hooks/` and then letters, digits and `-._~/`.
bool valid_webhook_path(std::string_view path) noexcept;

} // namespace sluice::detail
