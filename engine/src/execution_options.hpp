#pragma once
// The compile step for a node's execution options: `concurrency`, `retry`, `timeout` and
// `on_error` (the ones that need no templates).

#include "plan.hpp"

#include <sluice/diagnostic.hpp>
#include <sluice/pipeline_spec.hpp>

#include <functional>
#include <string>

namespace sluice::detail {

/// Receives one problem found in the pipeline: where, and what.
using ReportProblem = std::function<void(SourceMark, std::string)>;

/// Checks `decl`'s execution options and stores them in `node`; `has_for_each` says whether
/// `concurrency` applies. Bad values are reported, not thrown.
void compile_execution_options(const NodeDecl& decl, PlanNode& node, bool has_for_each,
                               const ReportProblem& error);

} // namespace sluice::detail
