// GET /users/{userId}: the profile fields of Zoom's user object (docs/zoom-api.md §2).

#include "errors.hpp"
#include "handlers.hpp"
#include "util.hpp"

namespace sluice::zoom_emulator {

Response get_user(State& state, const User& user, const Request&) {
  const std::string display_name = user.first_name + " " + user.last_name;
  return json_response(
      200,
      Value(Object{{"id", user.id},
                   {"first_name", user.first_name},
                   {"last_name", user.last_name},
                   {"display_name", display_name},
                   {"email", user.email},
                   {"type", 2},
                   {"role_name", user.id == state.owner().id ? "Owner" : "Member"},
                   {"pmi", user.pmi},
                   {"use_pmi", false},
                   {"personal_meeting_url", state.base_url() + "/j/" + std::to_string(user.pmi)},
                   {"timezone", user.timezone},
                   {"verified", 1},
                   {"dept", ""},
                   {"created_at", format_utc(user.created_at)},
                   {"user_created_at", format_utc(user.created_at)},
                   {"last_login_time", format_utc(state.now())},
                   {"pic_url", ""},
                   {"language", "en-US"},
                   {"status", "active"},
                   {"role_id", user.id == state.owner().id ? "0" : "2"},
                   {"account_id", state.config().account_id},
                   {"account_number", 10'000'000'000 + user.pmi % 1'000'000'000},
                   {"group_ids", Value(Array{})},
                   {"login_types", Value(Array{Value(100)})}}));
}

} // namespace sluice::zoom_emulator
