// API authentication and authorisation: bearer token -> grant -> user, and the granular
// scope rules of docs/zoom-api.md §5 (the bare scope, its :admin variant, or a classic scope).

#include "errors.hpp"
#include "handlers.hpp"

#include <algorithm>
#include <array>

namespace sluice::zoom_emulator {

namespace {

struct ScopeRule {
  std::string_view granular;
  std::string_view admin;
  std::array<std::string_view, 4> classic; // empty entries are unused
};

const ScopeRule& scope_rule(Operation operation) {
  static const ScopeRule create{"meeting:write:meeting",
                                "meeting:write:meeting:admin",
                                {"meeting:write", "meeting:write:admin", "", ""}};
  static const ScopeRule get{"meeting:read:meeting",
                             "meeting:read:meeting:admin",
                             {"meeting:read", "meeting:read:admin", "", ""}};
  static const ScopeRule update{"meeting:update:meeting",
                                "meeting:update:meeting:admin",
                                {"meeting:write", "meeting:write:admin", "", ""}};
  static const ScopeRule list{"meeting:read:list_meetings",
                              "meeting:read:list_meetings:admin",
                              {"meeting:read", "meeting:read:admin", "", ""}};
  static const ScopeRule remove{"meeting:delete:meeting",
                                "meeting:delete:meeting:admin",
                                {"meeting:write", "meeting:write:admin", "", ""}};
  static const ScopeRule user{"user:read:user",
                              "user:read:user:admin",
                              {"user:read", "user:read:admin", "user_info:read", "user_profile"}};
  switch (operation) {
  case Operation::create_meeting:
    return create;
  case Operation::get_meeting:
    return get;
  case Operation::update_meeting:
    return update;
  case Operation::list_meetings:
    return list;
  case Operation::delete_meeting:
    return remove;
  case Operation::get_user:
    return user;
  }
  return get;
}

} // namespace

std::variant<Caller, Response> authenticate(State& state, const Request& request) {
  const std::string_view header = request.header("authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (!header.starts_with(prefix))
    return zoom_error(401, code::invalid_token, "Invalid access token.");
  const auto found = state.access_tokens.find(std::string(header.substr(prefix.size())));
  if (found == state.access_tokens.end())
    return zoom_error(401, code::invalid_token, "Invalid access token.");
  const auto grant = state.grants.find(found->second.grant_id);
  if (grant == state.grants.end() || grant->second.revoked)
    return zoom_error(401, code::invalid_token, "Invalid access token.");
  if (state.now() >= found->second.expires_at)
    return zoom_error(401, code::invalid_token, "Access token is expired.");
  const User* user = state.find_user(grant->second.user_id);
  if (!user)
    return zoom_error(401, code::invalid_token, "Invalid access token.");
  return Caller{grant->first, user, &grant->second};
}

std::optional<Response> check_scope(const Caller& caller, Operation operation) {
  const ScopeRule& rule = scope_rule(operation);
  const auto granted = [&](std::string_view scope) {
    return !scope.empty() && std::find(caller.grant->scopes.begin(), caller.grant->scopes.end(),
                                       scope) != caller.grant->scopes.end();
  };
  if (granted(rule.granular) || granted(rule.admin) ||
      std::any_of(rule.classic.begin(), rule.classic.end(), granted))
    return std::nullopt;
  return zoom_error(400, code::missing_scope,
                    "Invalid access token, does not contain scopes:[" + std::string(rule.granular) +
                        ", " + std::string(rule.admin) + "].");
}

bool acts_for_account(const Caller& caller, Operation operation) {
  if (caller.grant->server_to_server)
    return true;
  const ScopeRule& rule = scope_rule(operation);
  return std::any_of(
      caller.grant->scopes.begin(), caller.grant->scopes.end(), [&](const std::string& scope) {
        if (scope == rule.admin)
          return true;
        // The classic account-level scopes: meeting:write:admin and the like.
        return scope.ends_with(":admin") &&
               std::find(rule.classic.begin(), rule.classic.end(), scope) != rule.classic.end();
      });
}

std::variant<const User*, Response> resolve_user(State& state, const Caller& caller,
                                                 std::string_view user_id) {
  if (user_id == "me")
    return caller.user;
  if (const User* user = state.find_user(user_id))
    return user;
  return zoom_error(404, code::user_not_found,
                    "User does not exist: " + std::string(user_id) + ".");
}

} // namespace sluice::zoom_emulator
