// OAuth against the real emulator binary: codes, PKCE, rotation, revocation, S2S, scopes.

#include "test_support.hpp"

#include "util.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace sluice::zoom_emulator::test;
using sluice::Value;

namespace {

const std::vector<std::string> auto_approve = {"--auto-approve"};

std::string code_form(const std::string& code, const std::string& extra = {}) {
  return "grant_type=authorization_code&code=" + form_encode(code) +
         "&redirect_uri=" + form_encode(loopback_redirect) + extra;
}

std::string refresh_form(const Value& tokens) {
  return "grant_type=refresh_token&refresh_token=" +
         form_encode(std::string(tokens["refresh_token"].as_string()));
}

std::string access_token(const Value& tokens) {
  return std::string(tokens["access_token"].as_string());
}

} // namespace

TEST_CASE("authorize with --auto-approve redirects with code and state; the code buys tokens") {
  EmulatorProcess emulator({"--auto-approve", "--access-token-ttl", "1234"});
  HttpClient client(emulator.port());
  const HttpResult redirect = client.request(
      "GET", "/oauth/authorize?response_type=code&client_id=emulator-client&redirect_uri=" +
                 form_encode(loopback_redirect) + "&state=opaque-state");
  REQUIRE(redirect.status == 302);
  const std::string location = redirect.header("location");
  CHECK(location.rfind(loopback_redirect, 0) == 0);
  CHECK(location_parameter(location, "state") == "opaque-state");
  const std::string code = location_parameter(location, "code");
  REQUIRE_FALSE(code.empty());

  const HttpResult tokens = token_request(client, code_form(code));
  REQUIRE(tokens.status == 200);
  const Value body = tokens.json();
  CHECK(body["token_type"] == Value("bearer"));
  CHECK(body["expires_in"] == Value(1234));
  CHECK(body["refresh_token"].is_string());
  CHECK(body["scope"] == Value("meeting:write:meeting meeting:read:meeting "
                               "meeting:update:meeting meeting:read:list_meetings "
                               "meeting:delete:meeting user:read:user user:read:email"));
  CHECK(client.api("GET", "/v2/users/me", access_token(body)).status == 200);

  SUBCASE("a code works once") {
    const HttpResult again = token_request(client, code_form(code));
    CHECK(again.status == 400);
  }
}

TEST_CASE("authorize refuses unknown clients and foreign redirect URIs without redirecting") {
  EmulatorProcess emulator(auto_approve);
  HttpClient client(emulator.port());
  const HttpResult unknown =
      client.request("GET", "/oauth/authorize?response_type=code&client_id=nobody&redirect_uri=" +
                                form_encode(loopback_redirect));
  CHECK(unknown.status == 400);
  CHECK(unknown.header("location").empty());
  const HttpResult foreign = client.request(
      "GET", "/oauth/authorize?response_type=code&client_id=emulator-client&redirect_uri=" +
                 form_encode("https://evil.example.com/cb"));
  CHECK(foreign.status == 400);
  CHECK(foreign.header("location").empty());
}

TEST_CASE("--redirect-uri restricts the client to the listed URIs") {
  EmulatorProcess emulator({"--auto-approve", "--redirect-uri", "http://127.0.0.1:9999/only"});
  HttpClient client(emulator.port());
  const HttpResult other = client.request(
      "GET", "/oauth/authorize?response_type=code&client_id=emulator-client&redirect_uri=" +
                 form_encode(loopback_redirect));
  CHECK(other.status == 400);
  const HttpResult listed = client.request(
      "GET", "/oauth/authorize?response_type=code&client_id=emulator-client&redirect_uri=" +
                 form_encode("http://127.0.0.1:9999/only"));
  CHECK(listed.status == 302);
}

TEST_CASE("the token request must repeat the authorize redirect_uri") {
  EmulatorProcess emulator(auto_approve);
  HttpClient client(emulator.port());
  const std::string code = authorization_code(client);
  const HttpResult answer =
      token_request(client, "grant_type=authorization_code&code=" + code +
                                "&redirect_uri=" + form_encode("http://127.0.0.1:1/other"));
  CHECK(answer.status == 400);
}

TEST_CASE("wrong client secret is 401 invalid_client") {
  EmulatorProcess emulator(auto_approve);
  HttpClient client(emulator.port());
  const std::string code = authorization_code(client);
  const HttpResult answer =
      token_request(client, code_form(code), basic_auth("emulator-client", "wrong"));
  CHECK(answer.status == 401);
  CHECK(answer.json()["error"] == Value("invalid_client"));
}

TEST_CASE("PKCE S256 and plain: the right verifier passes, a wrong or missing one fails") {
  EmulatorProcess emulator(auto_approve);
  HttpClient client(emulator.port());
  const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const std::string challenge = sluice::zoom_emulator::pkce_s256(verifier);
  CHECK(challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"); // RFC 7636 appendix B
  const std::string s256 = "&code_challenge=" + challenge + "&code_challenge_method=S256";

  SUBCASE("S256 with the right verifier") {
    const std::string code = authorization_code(client, s256);
    CHECK(token_request(client, code_form(code, "&code_verifier=" + verifier)).status == 200);
  }
  SUBCASE("S256 with a wrong verifier") {
    const std::string code = authorization_code(client, s256);
    const HttpResult answer =
        token_request(client, code_form(code, "&code_verifier=" + std::string(43, 'a')));
    CHECK(answer.status == 400);
    CHECK(answer.json()["error"] == Value("invalid_grant"));
    // The failed attempt consumed the code.
    CHECK(token_request(client, code_form(code, "&code_verifier=" + verifier)).status == 400);
  }
  SUBCASE("S256 without a verifier") {
    const std::string code = authorization_code(client, s256);
    CHECK(token_request(client, code_form(code)).status == 400);
  }
  SUBCASE("plain") {
    const std::string code =
        authorization_code(client, "&code_challenge=" + verifier + "&code_challenge_method=plain");
    CHECK(token_request(client, code_form(code, "&code_verifier=" + verifier)).status == 200);
  }
  SUBCASE("an unknown method is sent back to the redirect URI as invalid_request") {
    const HttpResult answer = client.request(
        "GET", "/oauth/authorize?response_type=code&client_id=emulator-client&redirect_uri=" +
                   form_encode(loopback_redirect) + "&code_challenge=" + challenge +
                   "&code_challenge_method=S512&state=k");
    REQUIRE(answer.status == 302);
    CHECK(location_parameter(answer.header("location"), "error") == "invalid_request");
    CHECK(location_parameter(answer.header("location"), "state") == "k");
  }
}

TEST_CASE("refresh tokens rotate: the used one dies at once, reuse is 400 invalid_grant") {
  EmulatorProcess emulator(auto_approve);
  HttpClient client(emulator.port());
  const Value first = user_tokens(client);
  const HttpResult refreshed = token_request(client, refresh_form(first));
  REQUIRE(refreshed.status == 200);
  const Value second = refreshed.json();
  CHECK(second["refresh_token"] != first["refresh_token"]);
  CHECK(second["access_token"] != first["access_token"]);
  CHECK(client.api("GET", "/v2/users/me", access_token(second)).status == 200);

  const HttpResult reuse = token_request(client, refresh_form(first));
  CHECK(reuse.status == 400);
  CHECK(reuse.json() ==
        Value::parse_json(R"({"reason":"Invalid Token!","error":"invalid_grant"})"));
  CHECK(token_request(client, refresh_form(second)).status == 200);
}

TEST_CASE("revoke ends both tokens of the grant") {
  EmulatorProcess emulator(auto_approve);
  HttpClient client(emulator.port());
  const Value tokens = user_tokens(client);
  const HttpResult revoked = client.request(
      "POST", "/oauth/revoke", "token=" + form_encode(access_token(tokens)),
      {{"Authorization", basic_auth()}, {"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(revoked.status == 200);
  CHECK(revoked.json()["status"] == Value("success"));
  const HttpResult api = client.api("GET", "/v2/users/me", access_token(tokens));
  CHECK(api.status == 401);
  CHECK(api.json()["code"] == Value(124));
  CHECK(token_request(client, refresh_form(tokens)).status == 400);
}

TEST_CASE("Server-to-Server: no refresh token, and a new token invalidates the previous one") {
  EmulatorProcess emulator;
  HttpClient client(emulator.port());
  const HttpResult first =
      token_request(client, "grant_type=account_credentials&account_id=emulator-account");
  REQUIRE(first.status == 200);
  CHECK(first.json().find("refresh_token") == nullptr);
  CHECK(first.json()["api_url"] == Value(emulator.url()));
  const std::string old_token = access_token(first.json());
  CHECK(client.api("GET", "/v2/users/me", old_token).status == 200);

  const std::string new_token = s2s_access_token(client);
  const HttpResult stale = client.api("GET", "/v2/users/me", old_token);
  CHECK(stale.status == 401);
  CHECK(stale.json()["code"] == Value(124));
  CHECK(client.api("GET", "/v2/users/me", new_token).status == 200);

  CHECK(token_request(client, "grant_type=account_credentials&account_id=other").status == 400);
  CHECK(token_request(client, "grant_type=password").status == 400);
}

TEST_CASE("invalid and expired tokens answer 401 code 124") {
  EmulatorProcess emulator({"--access-token-ttl", "1"});
  HttpClient client(emulator.port());
  const HttpResult garbage = client.api("GET", "/v2/users/me", "not-a-token");
  CHECK(garbage.status == 401);
  CHECK(garbage.json() == Value::parse_json(R"({"code":124,"message":"Invalid access token."})"));
  const HttpResult none = client.request("GET", "/v2/users/me");
  CHECK(none.status == 401);

  const std::string token = s2s_access_token(client);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const HttpResult expired = client.api("GET", "/v2/users/me", token);
  CHECK(expired.status == 401);
  CHECK(expired.json() ==
        Value::parse_json(R"({"code":124,"message":"Access token is expired."})"));
}

TEST_CASE("a token without the operation's scope gets 400 code 4711 naming it") {
  EmulatorProcess emulator({"--client-id", "emulator-client", "--client-secret", "emulator-secret",
                            "--client-scopes", "meeting:read:meeting user:read:user"});
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  const HttpResult create = client.api("POST", "/v2/users/me/meetings", token, R"({"topic":"x"})");
  CHECK(create.status == 400);
  CHECK(create.json()["code"] == Value(4711));
  const std::string message(create.json()["message"].as_string());
  CHECK(message.find("meeting:write:meeting") != std::string::npos);
  CHECK(client.api("GET", "/v2/users/me", token).status == 200);
}

TEST_CASE("a classic scope also grants the operation") {
  EmulatorProcess emulator({"--client-id", "emulator-client", "--client-secret", "emulator-secret",
                            "--client-scopes", "meeting:write"});
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  CHECK(client.api("POST", "/v2/users/me/meetings", token, R"({"topic":"x"})").status == 201);
  CHECK(client.api("GET", "/v2/users/me", token).json()["code"] == Value(4711));
}

TEST_CASE("without --auto-approve the consent page decides") {
  EmulatorProcess emulator;
  HttpClient client(emulator.port());
  const std::string query = "response_type=code&client_id=emulator-client&redirect_uri=" +
                            form_encode(loopback_redirect) + "&state=st";
  const HttpResult page = client.request("GET", "/oauth/authorize?" + query);
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type").find("text/html") != std::string::npos);
  CHECK(page.body.find("<form") != std::string::npos);
  const std::map<std::string, std::string> form_headers = {
      {"Content-Type", "application/x-www-form-urlencoded"}};

  const HttpResult allowed =
      client.request("POST", "/oauth/authorize", query + "&decision=allow", form_headers);
  REQUIRE(allowed.status == 302);
  const std::string code = location_parameter(allowed.header("location"), "code");
  CHECK(token_request(client, code_form(code)).status == 200);

  const HttpResult denied =
      client.request("POST", "/oauth/authorize", query + "&decision=deny", form_headers);
  REQUIRE(denied.status == 302);
  CHECK(location_parameter(denied.header("location"), "error") == "access_denied");
  CHECK(location_parameter(denied.header("location"), "state") == "st");
}

TEST_CASE("re-authorisation supersedes the user's earlier grant") {
  EmulatorProcess emulator(auto_approve);
  HttpClient client(emulator.port());
  const Value first = user_tokens(client);
  const Value second = user_tokens(client);
  CHECK(client.api("GET", "/v2/users/me", access_token(first)).status == 401);
  CHECK(token_request(client, refresh_form(first)).status == 400);
  CHECK(client.api("GET", "/v2/users/me", access_token(second)).status == 200);
}

TEST_CASE("a public client uses PKCE without a secret and cannot skip it") {
  EmulatorProcess emulator({"--auto-approve", "--public-client-id", "public-app"});
  HttpClient client(emulator.port());
  const std::string verifier(64, 'v');
  const std::string authorize =
      "/oauth/authorize?response_type=code&client_id=public-app&redirect_uri=" +
      form_encode(loopback_redirect);
  const HttpResult without = client.request("GET", authorize);
  REQUIRE(without.status == 302);
  CHECK(location_parameter(without.header("location"), "error") == "invalid_request");

  const HttpResult with = client.request(
      "GET", authorize + "&code_challenge=" + sluice::zoom_emulator::pkce_s256(verifier) +
                 "&code_challenge_method=S256");
  REQUIRE(with.status == 302);
  const std::string code = location_parameter(with.header("location"), "code");
  const std::map<std::string, std::string> form = {
      {"Content-Type", "application/x-www-form-urlencoded"}};
  const HttpResult tokens =
      client.request("POST", "/oauth/token",
                     code_form(code, "&client_id=public-app&code_verifier=" + verifier), form);
  REQUIRE(tokens.status == 200);
  CHECK(client.api("GET", "/v2/users/me", access_token(tokens.json())).status == 200);
  const HttpResult refreshed = client.request(
      "POST", "/oauth/token", refresh_form(tokens.json()) + "&client_id=public-app", form);
  CHECK(refreshed.status == 200);
  CHECK(client
            .request("POST", "/oauth/token",
                     "grant_type=account_credentials&account_id=emulator-account&client_id="
                     "public-app",
                     form)
            .status == 400);
  // A confidential client still needs its secret.
  CHECK(client
            .request("POST", "/oauth/token",
                     "grant_type=account_credentials&account_id=emulator-account&client_id="
                     "emulator-client",
                     form)
            .status == 401);
}

namespace {

// A user-level access token of `user_id` (id or e-mail) through the consent form, for an
// emulator started without --auto-approve.
std::string user_token_for(HttpClient& client, const std::string& user_id,
                           const std::string& client_id = "emulator-client",
                           const std::string& secret = "emulator-secret") {
  const HttpResult allowed =
      client.request("POST", "/oauth/authorize",
                     "response_type=code&client_id=" + client_id +
                         "&redirect_uri=" + form_encode(loopback_redirect) +
                         "&decision=allow&user_id=" + form_encode(user_id),
                     {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(allowed.status == 302);
  const std::string code = location_parameter(allowed.header("location"), "code");
  const HttpResult tokens = token_request(client, code_form(code), basic_auth(client_id, secret));
  REQUIRE(tokens.status == 200);
  return access_token(tokens.json());
}

} // namespace

TEST_CASE("a user-level token updates and deletes only its own user's meetings (3003)") {
  EmulatorProcess emulator(
      {"--users",
       "2",
       "--plan",
       "business",
       "--client-id",
       "admin-client",
       "--client-secret",
       "admin-secret",
       "--client-scopes",
       "meeting:read:meeting meeting:update:meeting:admin meeting:delete:meeting:admin",
       "--client-id",
       "classic-admin",
       "--client-secret",
       "classic-secret",
       "--client-scopes",
       "meeting:write:admin",
       "--client-id",
       "emulator-client",
       "--client-secret",
       "emulator-secret"});
  HttpClient client(emulator.port());
  const std::string s2s = s2s_access_token(client);
  const std::string second_user = user_token_for(client, "emulator.user2@example.com");
  const auto create_for = [&](const std::string& user, const std::string& topic) {
    const HttpResult created = client.api("POST", "/v2/users/" + user + "/meetings", s2s,
                                          R"({"topic":")" + topic + R"("})");
    REQUIRE(created.status == 201);
    return "/v2/meetings/" + std::to_string(created.json()["id"].as_int());
  };
  const std::string owners = create_for("me", "Owner's");
  const std::string own = create_for("emulator.user2@example.com", "Second user's");
  const Value not_host =
      Value::parse_json(R"({"code":3003,"message":"You are not the meeting host."})");

  const HttpResult update = client.api("PATCH", owners, second_user, R"({"topic":"Taken"})");
  CHECK(update.status == 400);
  CHECK(update.json() == not_host);
  const HttpResult remove = client.api("DELETE", owners, second_user);
  CHECK(remove.status == 400);
  CHECK(remove.json() == not_host);
  // Reading another host's meeting is not refused (docs/zoom-api.md §3 lists 3003 for update and
  // delete only).
  const HttpResult read = client.api("GET", owners, second_user);
  REQUIRE(read.status == 200);
  CHECK(read.json()["topic"] == Value("Owner's"));
  const Value counters = client.request("GET", "/_emulator/counters").json();
  CHECK(counters["meetings_updated"] == Value(0));
  CHECK(counters["meetings_deleted"] == Value(0));
  // Unknown meetings stay 404 code 3001.
  CHECK(client.api("DELETE", "/v2/meetings/12345678901", second_user).json()["code"] ==
        Value(3001));

  // Its own user's meetings it may change.
  CHECK(client.api("PATCH", own, second_user, R"({"topic":"Mine"})").status == 204);
  // Server-to-Server tokens and :admin scopes (granular or classic) act for the account.
  CHECK(client.api("PATCH", own, s2s, R"({"agenda":"By the admin"})").status == 204);
  const std::string granular_admin =
      user_token_for(client, "emulator.user2@example.com", "admin-client", "admin-secret");
  CHECK(client.api("PATCH", owners, granular_admin, R"({"topic":"Granted"})").status == 204);
  const std::string classic_admin =
      user_token_for(client, "emulator.user2@example.com", "classic-admin", "classic-secret");
  CHECK(client.api("PATCH", owners, classic_admin, R"({"agenda":"Classic"})").status == 204);
  const Value after = client.api("GET", owners, s2s).json();
  CHECK(after["topic"] == Value("Granted"));
  CHECK(after["agenda"] == Value("Classic"));
  CHECK(client.api("DELETE", owners, granular_admin).status == 204);
  CHECK(client.api("DELETE", own, second_user).status == 204);
}
