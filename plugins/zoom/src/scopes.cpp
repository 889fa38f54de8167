// For each zoom.* node type, the granular scope to ask for and the granted scopes that also
// serve (docs/zoom-api.md §5), so that a connection's missing scopes can be reported.

#include "scopes.hpp"

#include <algorithm>

namespace sluice::zoom {

const std::vector<ScopeNeed>& scope_needs() {
  static const std::vector<ScopeNeed> needs = {
      {"zoom.create_meeting",
       "meeting:write:meeting",
       {"meeting:write:meeting", "meeting:write:meeting:admin", "meeting:write",
        "meeting:write:admin"}},
      {"zoom.get_meeting",
       "meeting:read:meeting",
       {"meeting:read:meeting", "meeting:read:meeting:admin", "meeting:read",
        "meeting:read:admin"}},
      {"zoom.update_meeting",
       "meeting:update:meeting",
       {"meeting:update:meeting", "meeting:update:meeting:admin", "meeting:write",
        "meeting:write:admin"}},
      {"zoom.list_meetings",
       "meeting:read:list_meetings",
       {"meeting:read:list_meetings", "meeting:read:list_meetings:admin", "meeting:read",
        "meeting:read:admin"}},
      {"zoom.delete_meeting",
       "meeting:delete:meeting",
       {"meeting:delete:meeting", "meeting:delete:meeting:admin", "meeting:write",
        "meeting:write:admin"}},
      {"zoom.get_user",
       "user:read:user",
       {"user:read:user", "user:read:user:admin", "user:read", "user:read:admin", "user_info:read",
        "user_profile"}},
  };
  return needs;
}

std::vector<ScopeNeed> unmet_scope_needs(const std::vector<std::string>& granted) {
  std::vector<ScopeNeed> unmet;
  for (const ScopeNeed& need : scope_needs()) {
    const bool met = std::any_of(need.any_of.begin(), need.any_of.end(), [&](const auto& s) {
      return std::find(granted.begin(), granted.end(), s) != granted.end();
    });
    if (!met)
      unmet.push_back(need);
  }
  return unmet;
}

} // namespace sluice::zoom
