#pragma once
// Which meeting and which user: meeting and occurrence ids, user ids and e-mail addresses.

#include "problems.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace sluice::zoom::detail {

// One @ with something before it and a dotted domain after it, no spaces, commas or
// semicolons: catches the usual slips (two addresses in one, a missing domain), not RFC 5322.
bool looks_like_email(std::string_view text);

// `me`, an e-mail or a Zoom user id (§1 of docs/zoom-api.md), all safe in a URL path
// unescaped; used for user_id and schedule_for.
bool valid_user(std::string_view text);

// `meeting_id` (required) as decimal digits; nothing when missing or invalid (problem added).
std::optional<std::string> meeting_id(const Value& settings, Problems& problems);

// `occurrence_id` as decimal digits when set and valid.
std::optional<std::string> occurrence_id(const Value& settings, Problems& problems);

// `user_id`, "me" when unset; "" when invalid (problem added).
std::string user_id(const Value& settings, Problems& problems);

} // namespace sluice::zoom::detail
