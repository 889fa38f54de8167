#pragma once
// Which granted scopes let each zoom.* node work (docs/zoom-api.md §5 table): granular scopes,
// their `:admin` variants and the classic ones.

#include <string>
#include <vector>

namespace sluice::zoom {

struct ScopeNeed {
  std::string node_type;           ///< e.g. "zoom.create_meeting"
  std::string granular;            ///< what to add to the app, e.g. "meeting:write:meeting"
  std::vector<std::string> any_of; ///< any of these granted is enough
};

const std::vector<ScopeNeed>& scope_needs();

/// The needs not met by `granted` (empty: every node type can work).
std::vector<ScopeNeed> unmet_scope_needs(const std::vector<std::string>& granted);

} // namespace sluice::zoom
