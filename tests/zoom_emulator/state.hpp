#pragma once
// Everything the emulator remembers: users, OAuth codes and grants, tokens, meetings,
// list cursors and counters. Single-threaded by design: one io_context thread runs every
// handler, so none of this needs a lock.

#include "config.hpp"

#include <sluice/value.hpp>

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::zoom_emulator {

struct User {
  std::string id;
  std::string email;
  std::string first_name;
  std::string last_name;
  std::string timezone;
  std::int64_t pmi = 0;
  std::time_t created_at = 0;
};

// What PATCH or DELETE with `occurrence_id` changed in one occurrence of a recurring
// meeting. Zoom lets an occurrence change only these (the spec's occurrence_id text).
struct OccurrenceChange {
  std::optional<std::time_t> start_time;
  std::optional<int> duration;
  std::optional<std::string> agenda;
  Value settings; // null, or an object overriding the series' settings for this occurrence
  bool deleted = false;
};

struct Meeting {
  std::int64_t id = 0;
  std::string uuid;
  std::string host_id;
  std::string topic;
  int type = 2;
  std::optional<std::time_t> start_time;
  int duration = 60;
  std::string timezone;
  std::string agenda;
  std::string password;
  bool pre_schedule = false;
  Value settings;        // object, as last set by create/update
  Value recurrence;      // null unless a recurring meeting with a fixed time
  Value tracking_fields; // null or array
  std::time_t created_at = 0;
  std::uint64_t sequence = 0; // creation order, the order List answers in
  std::string host_key;       // the secret part of start_url
  // Per-occurrence changes, keyed by occurrence_id (the occurrence's original start in
  // epoch milliseconds, which stays its id when the occurrence is moved).
  std::map<std::string, OccurrenceChange> occurrence_changes;
};

struct AuthorizationCode {
  std::string client_id;
  std::string redirect_uri;
  std::string code_challenge;
  std::string code_challenge_method; // "S256" or "plain"; empty without PKCE
  std::string user_id;
  std::time_t expires_at = 0;
};

// One authorisation of a client: a user grant (authorization_code, refreshable) or a
// Server-to-Server grant (account_credentials, no refresh token).
struct Grant {
  std::string client_id;
  std::string user_id;
  std::vector<std::string> scopes;
  bool server_to_server = false;
  bool revoked = false;
  std::string refresh_token; // the only live refresh token of this grant; rotated on use
};

struct AccessToken {
  std::uint64_t grant_id = 0;
  std::time_t expires_at = 0;
};

// Server-side state behind a `next_page_token`: the rest of the listing as it was when
// the first page was served, so pages stay consistent while meetings change.
struct ListCursor {
  std::string user_id;
  std::string query; // the filters it was made for: type, from, to, timezone
  int page_size = 30;
  std::vector<std::int64_t> remaining;
  std::time_t expires_at = 0;
};

struct Counters {
  std::map<std::string, std::uint64_t> requests_per_route;
  std::uint64_t tokens_issued = 0;
  std::uint64_t meetings_created = 0;
  std::uint64_t meetings_updated = 0;
  std::uint64_t meetings_deleted = 0;
  std::uint64_t occurrences_deleted = 0;
};

class State {
public:
  explicit State(EmulatorConfig config);

  const EmulatorConfig& config() const { return config_; }
  // Where join/start URLs point: the emulator itself, never the real Zoom.
  void set_base_url(std::string url) { base_url_ = std::move(url); }
  const std::string& base_url() const { return base_url_; }

  std::time_t now() const;
  // Random material comes from one generator seeded by --seed, so a run is reproducible.
  std::mt19937_64& random() { return random_; }
  std::string random_token(std::size_t bytes);
  std::int64_t random_int(std::int64_t low, std::int64_t high);

  const ClientConfig* find_client(std::string_view id) const;
  // `me` is resolved by the caller; this matches a user id or an e-mail (case-insensitive).
  const User* find_user(std::string_view id_or_email) const;
  // The account owner: the user whose account the S2S tokens act for.
  const User& owner() const { return users_.front(); }
  const std::vector<User>& users() const { return users_; }

  std::unordered_map<std::string, AuthorizationCode> codes;
  std::map<std::uint64_t, Grant> grants;
  std::unordered_map<std::string, AccessToken> access_tokens;
  std::unordered_map<std::string, std::uint64_t> refresh_tokens; // token -> grant id
  std::uint64_t next_grant_id = 1;

  std::map<std::int64_t, Meeting> meetings;
  std::uint64_t next_meeting_sequence = 1;
  std::int64_t new_meeting_id();

  std::unordered_map<std::string, ListCursor> cursors;
  Counters counters;

private:
  EmulatorConfig config_;
  std::string base_url_;
  std::mt19937_64 random_;
  std::vector<User> users_;
};

} // namespace sluice::zoom_emulator
