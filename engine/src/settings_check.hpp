#pragma once
// The compile steps that read what is known of a node's settings at load time: a node type's
// own settings check (SDK 1.5, Registrar::add_settings_check) and its side-effects rule
// (SDK 1.6, Registrar::add_side_effects_rule).

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

/// Whether a node of `type` with these settings has side effects: the type's declaration,
/// unless `rule` (may be null) clears it for the literal or default of the setting it names.
bool node_has_side_effects(const NodeType& type, const SideEffectsRule* rule,
                           std::span<const ValueTemplate> slots);

} // namespace sluice::detail
