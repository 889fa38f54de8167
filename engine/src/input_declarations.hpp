#pragma once
// The compile step for a pipeline's `inputs:`: each declaration's type and default checked,
// and laid out in the plan in declaration order.

#include "plan.hpp"

#include <sluice/diagnostic.hpp>
#include <sluice/pipeline_spec.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::detail {

/// Receives one problem: where, what, and a hint (empty when there is none).
using ReportHintedProblem = std::function<void(SourceMark, std::string, std::string)>;

/// Appends one InputInfo per declaration to `inputs` and records each name's position in
/// `index` (whose keys view the declarations' names). Duplicates, unknown types and defaults
/// of the wrong type are reported, not thrown.
void compile_input_declarations(const std::vector<InputDecl>& declarations,
                                std::vector<InputInfo>& inputs,
                                std::unordered_map<std::string_view, std::uint32_t>& index,
                                const ReportHintedProblem& error);

} // namespace sluice::detail
