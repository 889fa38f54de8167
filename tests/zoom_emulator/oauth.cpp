// OAuth as Zoom runs it (docs/zoom-api.md §5): authorization codes live 5 minutes and work
// once, PKCE (S256/plain) is checked, refresh tokens rotate on every use, a new
// Server-to-Server token replaces the previous one, and revocation ends the whole grant.

#include "errors.hpp"
#include "handlers.hpp"
#include "util.hpp"

#include <sluice/encoding.hpp>

#include <algorithm>
#include <cctype>

namespace sluice::zoom_emulator {

namespace {

constexpr std::time_t authorization_code_life = 5 * 60;

std::string base64url(std::string_view bytes) {
  std::string text = base64_encode(bytes);
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  return text;
}

// Request parameters may come as query string or as form body (Zoom accepts both).
std::map<std::string, std::string> oauth_parameters(const Request& request) {
  std::map<std::string, std::string> parameters = request.query;
  for (auto& [key, value] : parse_form(request.body))
    parameters[key] = value;
  return parameters;
}

std::string parameter(const std::map<std::string, std::string>& parameters,
                      const std::string& name) {
  const auto found = parameters.find(name);
  return found == parameters.end() ? std::string{} : found->second;
}

// The client named by `Authorization: Basic`, when its secret matches.
const ClientConfig* basic_client(const State& state, const Request& request) {
  const std::string_view header = request.header("authorization");
  constexpr std::string_view prefix = "Basic ";
  if (header.size() <= prefix.size() ||
      !std::equal(prefix.begin(), prefix.end(), header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
    return nullptr;
  const auto decoded = base64_decode(header.substr(prefix.size()));
  if (!decoded)
    return nullptr;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos)
    return nullptr;
  const ClientConfig* client = state.find_client(decoded->substr(0, colon));
  return client && !client->is_public && client->secret == decoded->substr(colon + 1) ? client
                                                                                      : nullptr;
}

bool is_loopback_redirect(std::string_view uri) {
  for (const std::string_view prefix :
       {"http://127.0.0.1:", "http://localhost:", "http://[::1]:", "http://127.0.0.1/",
        "http://localhost/", "http://[::1]/"}) {
    if (uri.starts_with(prefix))
      return true;
  }
  return false;
}

bool redirect_allowed(const ClientConfig& client, std::string_view uri) {
  if (client.redirect_uris.empty())
    return is_loopback_redirect(uri); // RFC 8252 native-app loopback redirect
  return std::find(client.redirect_uris.begin(), client.redirect_uris.end(), uri) !=
         client.redirect_uris.end();
}

std::string with_query(const std::string& uri, const std::string& query) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + query;
}

Response redirect(const std::string& location) {
  Response response;
  response.status = 302;
  response.content_type.clear();
  response.set_header("Location", location);
  return response;
}

Response redirect_error(const std::string& redirect_uri, const std::string& error,
                        const std::string& description, const std::string& state) {
  std::string query =
      "error=" + percent_encode(error) + "&error_description=" + percent_encode(description);
  if (!state.empty())
    query += "&state=" + percent_encode(state);
  return redirect(with_query(redirect_uri, query));
}

bool valid_code_verifier(std::string_view verifier) {
  // RFC 7636 §4.1: 43-128 characters of [A-Za-z0-9-._~].
  return verifier.size() >= 43 && verifier.size() <= 128 &&
         std::all_of(verifier.begin(), verifier.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
                  c == '~';
         });
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const std::string& scope : scopes)
    joined += (joined.empty() ? "" : " ") + scope;
  return joined;
}

// A JWT-shaped opaque token, as Zoom's are; clients must not rely on its contents.
std::string new_access_token(State& state, std::uint64_t grant_id, std::time_t expires_at) {
  const std::string header = R"({"alg":"HS512","v":"2.0","kid":"emulator"})";
  const std::string payload = Value(Object{{"aud", "sluice-zoom-emulator"},
                                           {"grant", static_cast<std::int64_t>(grant_id)},
                                           {"exp", static_cast<std::int64_t>(expires_at)},
                                           {"jti", base64url(state.random_token(12))}})
                                  .to_json();
  std::string token =
      base64url(header) + "." + base64url(payload) + "." + base64url(state.random_token(32));
  state.access_tokens[token] = AccessToken{grant_id, expires_at};
  return token;
}

std::string new_refresh_token(State& state, std::uint64_t grant_id) {
  std::string token = "rt." + base64url(state.random_token(32));
  state.refresh_tokens[token] = grant_id;
  state.grants.at(grant_id).refresh_token = token;
  return token;
}

void revoke_grant(State& state, std::uint64_t grant_id) {
  Grant& grant = state.grants.at(grant_id);
  grant.revoked = true;
  state.refresh_tokens.erase(grant.refresh_token);
  grant.refresh_token.clear();
}

Response token_response(State& state, std::uint64_t grant_id) {
  const Grant& grant = state.grants.at(grant_id);
  const int ttl = state.config().access_token_ttl_seconds;
  Object body{{"access_token", new_access_token(state, grant_id, state.now() + ttl)},
              {"token_type", "bearer"}};
  if (!grant.server_to_server)
    body.emplace_back("refresh_token", new_refresh_token(state, grant_id));
  body.emplace_back("expires_in", ttl);
  body.emplace_back("scope", join_scopes(grant.scopes));
  if (grant.server_to_server)
    body.emplace_back("api_url", state.base_url());
  ++state.counters.tokens_issued;
  return json_response(200, Value(std::move(body)));
}

std::string issue_code(State& state, const ClientConfig& client, const std::string& redirect_uri,
                       const std::string& challenge, const std::string& method,
                       const std::string& user_id) {
  std::string code = base64url(state.random_token(24));
  state.codes[code] = AuthorizationCode{
      client.id, redirect_uri, challenge, method, user_id, state.now() + authorization_code_life};
  return code;
}

Response grant_authorization_code(State& state, const ClientConfig& client,
                                  const std::map<std::string, std::string>& parameters) {
  const auto found = state.codes.find(parameter(parameters, "code"));
  if (found == state.codes.end())
    return oauth_error(400, "invalid_request", "Invalid authorization code");
  // Single use: the first presentation consumes the code whatever the outcome.
  const AuthorizationCode code = found->second;
  state.codes.erase(found);
  if (code.client_id != client.id)
    return oauth_error(400, "invalid_request", "Invalid authorization code");
  if (state.now() > code.expires_at)
    return oauth_error(400, "invalid_request", "Authorization code expired");
  if (parameter(parameters, "redirect_uri") != code.redirect_uri)
    return oauth_error(400, "invalid_request", "Redirect URI mismatch.");
  if (!code.code_challenge.empty()) {
    const std::string verifier = parameter(parameters, "code_verifier");
    if (!valid_code_verifier(verifier))
      return oauth_error(400, "invalid_request", "Invalid code_verifier");
    const std::string computed =
        code.code_challenge_method == "S256" ? pkce_s256(verifier) : verifier;
    if (computed != code.code_challenge)
      return oauth_error(400, "invalid_grant", "Invalid code_verifier");
  }
  // A new authorisation supersedes the user's earlier grants to this client.
  for (auto& [id, grant] : state.grants) {
    if (!grant.revoked && !grant.server_to_server && grant.client_id == client.id &&
        grant.user_id == code.user_id)
      revoke_grant(state, id);
  }
  const std::uint64_t grant_id = state.next_grant_id++;
  state.grants[grant_id] = Grant{client.id, code.user_id, client.scopes, false, false, {}};
  return token_response(state, grant_id);
}

Response grant_refresh_token(State& state, const ClientConfig& client,
                             const std::map<std::string, std::string>& parameters) {
  const auto found = state.refresh_tokens.find(parameter(parameters, "refresh_token"));
  if (found == state.refresh_tokens.end() || state.grants.at(found->second).client_id != client.id)
    return oauth_error(400, "invalid_grant", "Invalid Token!");
  const std::uint64_t grant_id = found->second;
  // Rotation: the presented refresh token dies now; token_response issues its successor.
  state.refresh_tokens.erase(found);
  return token_response(state, grant_id);
}

Response grant_account_credentials(State& state, const ClientConfig& client,
                                   const std::map<std::string, std::string>& parameters) {
  if (parameter(parameters, "account_id") != state.config().account_id)
    return oauth_error(400, "invalid_request", "Invalid account_id");
  // Zoom keeps one live S2S token per app and account: the previous one stops working.
  for (auto& [id, grant] : state.grants) {
    if (!grant.revoked && grant.server_to_server && grant.client_id == client.id)
      revoke_grant(state, id);
  }
  const std::uint64_t grant_id = state.next_grant_id++;
  state.grants[grant_id] = Grant{client.id, state.owner().id, client.scopes, true, false, {}};
  return token_response(state, grant_id);
}

std::string hidden_field(const std::string& name, const std::string& value) {
  return "<input type=\"hidden\" name=\"" + markup_escape(name) + "\" value=\"" +
         markup_escape(value) + "\">";
}

Response consent_page(const State& state, const ClientConfig& client,
                      const std::map<std::string, std::string>& parameters) {
  std::string fields;
  for (const char* name : {"client_id", "redirect_uri", "state", "code_challenge",
                           "code_challenge_method", "response_type"})
    fields += hidden_field(name, parameter(parameters, name));
  std::string users;
  for (const User& user : state.users())
    users += "<option value=\"" + markup_escape(user.id) + "\">" + markup_escape(user.email) +
             "</option>";
  std::string scopes;
  for (const std::string& scope : client.scopes)
    scopes += "<li>" + markup_escape(scope) + "</li>";
  Response response;
  response.content_type = "text/html;charset=UTF-8";
  response.body = "<!doctype html><html><head><title>Authorize " + markup_escape(client.id) +
                  "</title></head><body><h1>Zoom emulator</h1><p>The app <b>" +
                  markup_escape(client.id) + "</b> asks for:</p><ul>" + scopes +
                  "</ul><form method=\"post\" action=\"/oauth/authorize\">" + fields +
                  "<label>Sign in as <select name=\"user_id\">" + users +
                  "</select></label> <button name=\"decision\" value=\"allow\">Allow</button> "
                  "<button name=\"decision\" value=\"deny\">Decline</button></form></body></html>";
  return response;
}

// Checks what can be checked before anything may be sent back to the redirect URI.
struct AuthorizeCheck {
  const ClientConfig* client = nullptr;
  std::string redirect_uri;
  std::optional<Response> failure;
};

AuthorizeCheck check_authorize(const State& state,
                               const std::map<std::string, std::string>& parameters) {
  AuthorizeCheck check;
  check.client = state.find_client(parameter(parameters, "client_id"));
  if (!check.client) {
    check.failure = oauth_error(400, "invalid_client", "Invalid client_id");
    return check;
  }
  check.redirect_uri = parameter(parameters, "redirect_uri");
  if (check.redirect_uri.empty() && check.client->redirect_uris.size() == 1)
    check.redirect_uri = check.client->redirect_uris.front();
  if (!redirect_allowed(*check.client, check.redirect_uri)) {
    check.failure = oauth_error(400, "invalid_request", "Invalid redirect: " + check.redirect_uri);
    return check;
  }
  // From here on errors go back to the client through the redirect URI (RFC 6749 §4.1.2.1).
  const std::string state_parameter = parameter(parameters, "state");
  if (parameter(parameters, "response_type") != "code") {
    check.failure = redirect_error(check.redirect_uri, "unsupported_response_type",
                                   "response_type must be code", state_parameter);
    return check;
  }
  const std::string challenge = parameter(parameters, "code_challenge");
  const std::string method = parameter(parameters, "code_challenge_method");
  if (!method.empty() && method != "S256" && method != "plain") {
    check.failure = redirect_error(check.redirect_uri, "invalid_request",
                                   "code_challenge_method must be S256 or plain", state_parameter);
  } else if (!method.empty() && challenge.empty()) {
    check.failure = redirect_error(check.redirect_uri, "invalid_request",
                                   "code_challenge is missing", state_parameter);
  } else if (!challenge.empty() && !valid_code_verifier(challenge)) {
    check.failure = redirect_error(check.redirect_uri, "invalid_request",
                                   "code_challenge is malformed", state_parameter);
  } else if (challenge.empty() && check.client->is_public) {
    // Without a secret, the verifier is the only proof that the caller started the flow.
    check.failure =
        redirect_error(check.redirect_uri, "invalid_request",
                       "code_challenge is required for public clients", state_parameter);
  }
  return check;
}

Response approve(State& state, const AuthorizeCheck& check,
                 const std::map<std::string, std::string>& parameters, const std::string& user_id) {
  const std::string challenge = parameter(parameters, "code_challenge");
  std::string method = parameter(parameters, "code_challenge_method");
  if (!challenge.empty() && method.empty())
    method = "plain"; // RFC 7636 §4.3 default
  const std::string code =
      issue_code(state, *check.client, check.redirect_uri, challenge, method, user_id);
  std::string query = "code=" + percent_encode(code);
  if (const std::string client_state = parameter(parameters, "state"); !client_state.empty())
    query += "&state=" + percent_encode(client_state);
  return redirect(with_query(check.redirect_uri, query));
}

} // namespace

Response oauth_authorize(State& state, const Request& request) {
  const auto parameters = request.query;
  AuthorizeCheck check = check_authorize(state, parameters);
  if (check.failure)
    return std::move(*check.failure);
  if (state.config().auto_approve)
    return approve(state, check, parameters, state.owner().id);
  return consent_page(state, *check.client, parameters);
}

Response oauth_authorize_decision(State& state, const Request& request) {
  const auto parameters = parse_form(request.body);
  AuthorizeCheck check = check_authorize(state, parameters);
  if (check.failure)
    return std::move(*check.failure);
  if (parameter(parameters, "decision") != "allow")
    return redirect_error(check.redirect_uri, "access_denied", "The user declined",
                          parameter(parameters, "state"));
  const User* user = state.find_user(parameter(parameters, "user_id"));
  return approve(state, check, parameters, user ? user->id : state.owner().id);
}

Response oauth_token(State& state, const Request& request) {
  const auto parameters = oauth_parameters(request);
  const ClientConfig* client = basic_client(state, request);
  if (!client && request.header("authorization").empty()) {
    // Public PKCE clients name themselves in the body and send no secret.
    client = state.find_client(parameter(parameters, "client_id"));
    if (client && !client->is_public)
      client = nullptr;
  }
  if (!client)
    return oauth_error(401, "invalid_client", "Invalid client_id or client_secret");
  const std::string grant_type = parameter(parameters, "grant_type");
  if (client->is_public && grant_type == "account_credentials")
    return oauth_error(400, "unauthorized_client", "Public clients cannot use this grant type");
  if (grant_type == "authorization_code")
    return grant_authorization_code(state, *client, parameters);
  if (grant_type == "refresh_token")
    return grant_refresh_token(state, *client, parameters);
  if (grant_type == "account_credentials")
    return grant_account_credentials(state, *client, parameters);
  if (grant_type.empty())
    return oauth_error(400, "invalid_request", "Missing grant type");
  return oauth_error(400, "unsupported_grant_type", "Unsupported grant type");
}

Response oauth_revoke(State& state, const Request& request) {
  const auto parameters = oauth_parameters(request);
  const ClientConfig* client = basic_client(state, request);
  if (!client)
    return oauth_error(401, "invalid_client", "Invalid client_id or client_secret");
  const std::string token = parameter(parameters, "token");
  std::optional<std::uint64_t> grant_id;
  if (const auto access = state.access_tokens.find(token); access != state.access_tokens.end())
    grant_id = access->second.grant_id;
  else if (const auto refresh = state.refresh_tokens.find(token);
           refresh != state.refresh_tokens.end())
    grant_id = refresh->second;
  if (!grant_id)
    return oauth_error(400, "invalid_request", "Invalid Token!");
  if (state.grants.at(*grant_id).client_id != client->id)
    return oauth_error(400, "invalid_request", "Invalid Token!");
  revoke_grant(state, *grant_id);
  return json_response(200, Value(Object{{"status", "success"}}));
}

} // namespace sluice::zoom_emulator
