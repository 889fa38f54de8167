#pragma once
// The request handlers, one group per file, called by the router after it has matched the
// route, authenticated the caller, checked the scope and applied the rate limits.

#include "http_message.hpp"
#include "state.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace sluice::zoom_emulator {

// oauth.cpp: the zoom.us/oauth endpoints (docs/zoom-api.md §5).
Response oauth_authorize(State& state, const Request& request);
Response oauth_authorize_decision(State& state, const Request& request);
Response oauth_token(State& state, const Request& request);
Response oauth_revoke(State& state, const Request& request);

// bearer_auth.cpp: who is calling the API, with which scopes.
struct Caller {
  std::uint64_t grant_id = 0;
  const User* user = nullptr;
  const Grant* grant = nullptr;
};
// The caller behind `Authorization: Bearer`, or the 401 answer (code 124).
std::variant<Caller, Response> authenticate(State& state, const Request& request);

// The API operations, each with its own scope rule and rate-limit category.
enum class Operation {
  create_meeting,
  get_meeting,
  update_meeting,
  list_meetings,
  delete_meeting,
  get_user
};
// 400 code 4711 naming the missing scopes when the token has none that allows `operation`.
std::optional<Response> check_scope(const Caller& caller, Operation operation);
// Whether the caller may act on every user's meetings, not only its own user's: a
// Server-to-Server token, or one with the operation's `:admin` scope (granular or classic).
bool acts_for_account(const Caller& caller, Operation operation);
// Resolves `me`, a user id or an e-mail; the 404 code 1001 answer when unknown.
std::variant<const User*, Response> resolve_user(State& state, const Caller& caller,
                                                 std::string_view user_id);

// meetings.cpp: the Meetings API (docs/zoom-api.md §1, §2, §6).
Response create_meeting(State& state, const User& host, const Request& request);
Response get_meeting(State& state, std::string_view meeting_id, const Request& request);
Response update_meeting(State& state, std::string_view meeting_id, const Request& request);
Response delete_meeting(State& state, std::string_view meeting_id, const Request& request);
Response list_meetings(State& state, const User& host, const Request& request);
// The host of meeting `meeting_id` if it exists, for the per-user daily limit.
const User* meeting_host(State& state, std::string_view meeting_id);

// users.cpp
Response get_user(State& state, const User& user, const Request& request);

} // namespace sluice::zoom_emulator
