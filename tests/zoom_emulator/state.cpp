// Everything the emulator remembers (state.hpp): users, grants, tokens, meetings, cursors
// and counters.

#include "state.hpp"

#include "util.hpp"

#include <algorithm>
#include <cctype>

namespace sluice::zoom_emulator {

std::vector<std::string> default_scopes() {
  return {"meeting:write:meeting",  "meeting:read:meeting",
          "meeting:update:meeting", "meeting:read:list_meetings",
          "meeting:delete:meeting", "user:read:user",
          "user:read:email"};
}

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Zoom user ids are 22 characters of URL-safe base64.
std::string make_user_id(State& state) {
  std::string id = base64_encode(state.random_token(16)).substr(0, 22);
  std::replace(id.begin(), id.end(), '+', '-');
  std::replace(id.begin(), id.end(), '/', '_');
  return id;
}

} // namespace

State::State(EmulatorConfig config)
    : config_(std::move(config)),
      random_(config_.seed_given ? config_.seed : std::random_device{}()) {
  const std::time_t created = now() - 400 * 24 * 60 * 60;
  User owner;
  owner.id = make_user_id(*this);
  owner.email = "emulator.user@example.com";
  owner.first_name = "Emulator";
  owner.last_name = "User";
  owner.timezone = config_.user_timezone;
  owner.pmi = random_int(1'000'000'000, 9'999'999'999);
  owner.created_at = created;
  users_.push_back(owner);
  for (int i = 2; i <= config_.users; ++i) {
    User user;
    user.id = make_user_id(*this);
    user.email = "emulator.user" + std::to_string(i) + "@example.com";
    user.first_name = "Emulator";
    user.last_name = "User " + std::to_string(i);
    user.timezone = config_.user_timezone;
    user.pmi = random_int(1'000'000'000, 9'999'999'999);
    user.created_at = created;
    users_.push_back(user);
  }
}

std::time_t State::now() const {
  return std::time(nullptr);
}

std::string State::random_token(std::size_t bytes) {
  std::string out;
  out.reserve(bytes);
  for (std::size_t i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>(random_() & 0xFF));
  return out;
}

std::int64_t State::random_int(std::int64_t low, std::int64_t high) {
  return std::uniform_int_distribution<std::int64_t>(low, high)(random_);
}

const ClientConfig* State::find_client(std::string_view id) const {
  for (const ClientConfig& client : config_.clients) {
    if (client.id == id)
      return &client;
  }
  return nullptr;
}

const User* State::find_user(std::string_view id_or_email) const {
  for (const User& user : users_) {
    if (user.id == id_or_email || equals_ignoring_case(user.email, id_or_email))
      return &user;
  }
  return nullptr;
}

std::int64_t State::new_meeting_id() {
  // Zoom meeting numbers are 9-11 digits; 11 digits also exceed 2^32, which catches
  // clients that squeeze ids into 32-bit integers.
  for (;;) {
    const std::int64_t id = random_int(10'000'000'000, 99'999'999'999);
    if (!meetings.contains(id))
      return id;
  }
}

} // namespace sluice::zoom_emulator
