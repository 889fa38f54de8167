#pragma once
// Helpers the emulator tests share: OAuth flows against a running emulator.

#include "emulator_process.hpp"
#include "http_client.hpp"

#include <string>

namespace sluice::zoom_emulator::test {

inline constexpr const char* loopback_redirect = "http://127.0.0.1:8765/callback";

// `Authorization: Basic` for the default client (or another pair).
std::string basic_auth(const std::string& id = "emulator-client",
                       const std::string& secret = "emulator-secret");
std::string form_encode(const std::string& text);
// The value of `name` in a Location header's query string.
std::string location_parameter(const std::string& location, const std::string& name);

// Runs /oauth/authorize (the emulator must use --auto-approve) and returns the code.
std::string authorization_code(HttpClient& client, const std::string& extra_query = {});
// POST /oauth/token with Basic auth and a form body.
HttpResult token_request(HttpClient& client, const std::string& form,
                         const std::string& authorization = basic_auth());
// The full user flow; returns the token response body.
Value user_tokens(HttpClient& client);
// A Server-to-Server token for the default account.
std::string s2s_access_token(HttpClient& client);

} // namespace sluice::zoom_emulator::test
