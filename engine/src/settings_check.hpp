#pragma once
// The compile step that runs a node type's own settings check (SDK 1.5, Registrar::
// add_settings_check) over what is known of a node's settings at load time.

#include "execution_options.hpp"
#include "template.hpp"

#include <sluice/node.hpp>
#include <sluice/pipeline_spec.hpp>

#include <span>

namespace sluice::detail {

/// Calls `check` with the node's literal settings and defaults (`slots`, one per setting of
/// `type`, as the compiler laid them out) and the names of its templated ones, and reports each
/// problem at the setting it names, or at the node when that setting was not written. A check
/// that throws is reported at the node too.
void run_settings_check(const SettingsCheck& check, const NodeDecl& decl, const NodeType& type,
                        std::span<const ValueTemplate> slots, const ReportProblem& error);

} // namespace sluice::detail
