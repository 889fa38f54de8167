// Helpers the emulator tests share (test_support.hpp): OAuth flows against a running
// emulator.

#include "test_support.hpp"

#include "util.hpp"

#include <doctest/doctest.h>

namespace sluice::zoom_emulator::test {

std::string basic_auth(const std::string& id, const std::string& secret) {
  return "Basic " + base64_encode(id + ":" + secret);
}

std::string form_encode(const std::string& text) {
  return percent_encode(text);
}

std::string location_parameter(const std::string& location, const std::string& name) {
  const auto question = location.find('?');
  if (question == std::string::npos)
    return {};
  const auto parameters = parse_form(location.substr(question + 1));
  const auto found = parameters.find(name);
  return found == parameters.end() ? std::string{} : found->second;
}

std::string authorization_code(HttpClient& client, const std::string& extra_query) {
  const HttpResult answer =
      client.request("GET", "/oauth/authorize?response_type=code&client_id=emulator-client"
                            "&redirect_uri=" +
                                form_encode(loopback_redirect) + "&state=s1" + extra_query);
  REQUIRE(answer.status == 302);
  return location_parameter(answer.header("location"), "code");
}

HttpResult token_request(HttpClient& client, const std::string& form,
                         const std::string& authorization) {
  return client.request(
      "POST", "/oauth/token", form,
      {{"Authorization", authorization}, {"Content-Type", "application/x-www-form-urlencoded"}});
}

Value user_tokens(HttpClient& client) {
  const std::string code = authorization_code(client);
  const HttpResult answer =
      token_request(client, "grant_type=authorization_code&code=" + form_encode(code) +
                                "&redirect_uri=" + form_encode(loopback_redirect));
  REQUIRE(answer.status == 200);
  return answer.json();
}

std::string s2s_access_token(HttpClient& client) {
  const HttpResult answer =
      token_request(client, "grant_type=account_credentials&account_id=emulator-account");
  REQUIRE(answer.status == 200);
  return std::string(answer.json()["access_token"].as_string());
}

} // namespace sluice::zoom_emulator::test
