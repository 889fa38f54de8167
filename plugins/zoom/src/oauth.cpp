// Requests to Zoom's token and revoke endpoints (docs/zoom-api.md §5): building them, reading
// answers and refusals without exposing secrets, and finding a connection's client secret.

#include "oauth.hpp"

#include "encoding.hpp"

#include <sluice/encoding.hpp>
#include <sluice/error.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sluice::zoom {

namespace asio = boost::asio;

OAuthError::OAuthError(int status, std::string error, const std::string& message)
    : std::runtime_error(message), status_(status), error_(std::move(error)) {
}

namespace {

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> scopes;
  std::size_t start = 0;
  while (start < text.size()) {
    // Zoom separates with spaces; tolerate commas as some servers use them.
    const std::size_t end = text.find_first_of(" ,", start);
    const std::size_t stop = end == std::string_view::npos ? text.size() : end;
    if (stop > start)
      scopes.emplace_back(text.substr(start, stop - start));
    start = stop + 1;
  }
  return scopes;
}

TokenAnswer parse_token_answer(const std::string& body) {
  Value json;
  try {
    json = Value::parse_json(body);
  } catch (const std::exception&) {
    throw NodeError(ErrorCategory::transient,
                    "Zoom's token endpoint answered 200 without a JSON body");
  }
  const Value* access = json.find("access_token");
  if (!access || !access->is_string() || access->as_string().empty())
    throw NodeError(ErrorCategory::transient,
                    "Zoom's token endpoint answered without an access_token");
  TokenAnswer answer;
  answer.tokens.access_token = Secret(std::string(access->as_string()));
  if (const Value* refresh = json.find("refresh_token"); refresh && refresh->is_string())
    answer.tokens.refresh_token = Secret(std::string(refresh->as_string()));
  std::int64_t expires_in = 3600; // Zoom's documented lifetime when the field is missing
  if (const Value* e = json.find("expires_in"); e && e->is_int())
    expires_in = e->as_int();
  answer.tokens.expires_at = std::chrono::system_clock::now() + std::chrono::seconds(expires_in);
  if (const Value* scope = json.find("scope"); scope && scope->is_string())
    answer.tokens.scopes = split_scopes(scope->as_string());
  if (const Value* api = json.find("api_url"); api && api->is_string())
    answer.api_url = std::string(api->as_string());
  return answer;
}

// A thread's first JSON parse of a token answer took 50 to 130 µs (simdjson picks its kernel
// once per process, the thread's parser allocates, cold code and data), its second 4 to 11 µs
// (release build, measured in the process). Parsing a document of the answer's shape before
// the request leaves moves that cost out of the window between Zoom rotating the refresh
// token and the commit of its successor, where a kill loses the connection. The answer is
// parsed on the thread that sent the request (seen in every measurement).
std::string shaped_like_a_token_answer() {
  std::string json = R"({"access_token":")";
  json.append(600, 'x');
  json += R"(","token_type":"bearer","refresh_token":")";
  json.append(300, 'x');
  json += R"(","expires_in":3599,"scope":"a:b c:d"})";
  return json;
}

void warm_json_parser() {
  static const std::string shaped = shaped_like_a_token_answer();
  (void)Value::parse_json(shaped);
}

[[noreturn]] void throw_refusal(const HttpResponse& response) {
  std::string error = "http_" + std::to_string(response.status);
  std::string reason;
  try {
    const Value json = Value::parse_json(response.body);
    if (const Value* e = json.find("error"); e && e->is_string())
      error = std::string(e->as_string());
    if (const Value* r = json.find("reason"); r && r->is_string())
      reason = std::string(r->as_string());
    else if (const Value* m = json.find("message"); m && m->is_string())
      reason = std::string(m->as_string());
  } catch (const std::exception&) {
    // Not JSON: the status says enough.
  }
  const std::string tracking = response.header("x-zm-trackingid");
  throw OAuthError(response.status, error,
                   "Zoom's token endpoint refused (HTTP " + std::to_string(response.status) + ", " +
                       error + (reason.empty() ? "" : ": " + reason) + ")" +
                       (tracking.empty() ? "" : " [x-zm-trackingid " + tracking + "]"));
}

HttpRequest token_request(const Endpoints& endpoints, const std::string& url,
                          const ClientCredentials& credentials, Form form) {
  HttpRequest request = endpoints.request("POST", url);
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  request.headers.push_back({"Accept", "application/json"});
  if (credentials.client_secret.empty()) {
    form.emplace_back("client_id", credentials.client_id); // public PKCE client
  } else {
    request.headers.push_back(
        {"Authorization",
         "Basic " + base64(credentials.client_id + ":" + credentials.client_secret.reveal())});
    request.secrets.push_back(credentials.client_secret);
  }
  // Codes, verifiers and tokens in the form are secrets too; so are the tokens of the answer.
  for (const auto& [name, value] : form)
    if (name == "code" || name == "code_verifier" || name == "refresh_token" || name == "token")
      request.secrets.push_back(Secret(value));
  request.secret_response_fields = {"access_token", "refresh_token", "id_token"};
  request.body = form_encode(form);
  // A token request that may have been processed must not be replayed blindly: for a
  // refresh, Zoom has already rotated the token.
  request.idempotent = false;
  return request;
}

asio::awaitable<HttpResponse> send_to_oauth(HttpClient& client, HttpRequest request) {
  try {
    co_return co_await client.send(std::move(request));
  } catch (const HttpError& e) {
    if (e.stage() == HttpFailureStage::refused) // by the run's interceptor: never sent
      throw NodeError(ErrorCategory::permanent, e.what());
    throw NodeError(ErrorCategory::transient,
                    std::string("cannot reach Zoom's OAuth server: ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw NodeError(ErrorCategory::invalid_input, e.what());
  }
}

} // namespace

asio::awaitable<TokenAnswer> request_token(HttpClient& client, const Endpoints& endpoints,
                                           const ClientCredentials& credentials, Form form) {
  HttpRequest request =
      token_request(endpoints, endpoints.token_url(), credentials, std::move(form));
  // A refresh is how the reads of a dry run get their token: it is let through.
  request.obtains_credentials = true;
  const HttpResponse response = co_await send_to_oauth(client, std::move(request));
  if (response.status >= 500)
    throw NodeError(ErrorCategory::transient,
                    "Zoom's token endpoint failed (HTTP " + std::to_string(response.status) + ")");
  if (response.status != 200)
    throw_refusal(response);
  co_return parse_token_answer(response.body);
}

asio::awaitable<TokenAnswer> exchange_code(HttpClient& client, const Endpoints& endpoints,
                                           const ClientCredentials& credentials,
                                           const std::string& code, const std::string& redirect_uri,
                                           const Secret& code_verifier) {
  // Built step by step: GCC 12 miscompiles braced pair lists inside coroutines.
  Form form;
  form.emplace_back("grant_type", "authorization_code");
  form.emplace_back("code", code);
  form.emplace_back("redirect_uri", redirect_uri);
  form.emplace_back("code_verifier", code_verifier.reveal());
  co_return co_await request_token(client, endpoints, credentials, std::move(form));
}

asio::awaitable<TokenAnswer> renew(HttpClient& client, const Connection& connection,
                                   const Secret& client_secret) {
  const Endpoints endpoints = Endpoints::from_extra(connection.extra);
  const ClientCredentials credentials{connection.client_id, client_secret};
  Form form;
  if (connection.grant_type == "account_credentials") {
    const Value& account_id = connection.account["account_id"];
    form.emplace_back("grant_type", "account_credentials");
    form.emplace_back("account_id",
                      account_id.is_string() ? std::string(account_id.as_string()) : "");
  } else {
    form.emplace_back("grant_type", "refresh_token");
    form.emplace_back("refresh_token", connection.refresh_token.reveal());
  }
  co_return co_await request_token(client, endpoints, credentials, std::move(form));
}

asio::awaitable<void> revoke(HttpClient& client, const Endpoints& endpoints,
                             const ClientCredentials& credentials, const Secret& token) {
  Form form;
  form.emplace_back("token", token.reveal());
  HttpRequest request =
      token_request(endpoints, endpoints.revoke_url(), credentials, std::move(form));
  const HttpResponse response = co_await send_to_oauth(client, std::move(request));
  if (response.status == 200)
    co_return;
  if (response.status >= 500)
    throw NodeError(ErrorCategory::transient,
                    "Zoom's revoke endpoint failed (HTTP " + std::to_string(response.status) + ")");
  try {
    throw_refusal(response);
  } catch (const OAuthError& e) {
    if (e.grant_rejected()) // already revoked or expired: the goal is reached
      co_return;
    throw;
  }
}

Secret client_secret_of(const Connection& connection) {
  if (!connection.client_secret.empty())
    return connection.client_secret;
  const std::string& source = connection.client_secret_source;
  if (source.empty())
    return {}; // public client
  if (source.rfind("env:", 0) == 0) {
    if (const char* value = std::getenv(source.substr(4).c_str()); value && *value)
      return Secret(value);
  } else if (source.rfind("file:", 0) == 0) {
    std::ifstream in(source.substr(5));
    std::stringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
      secret.pop_back();
    if (in && !secret.empty())
      return Secret(std::move(secret));
  }
  throw CredentialError(CredentialError::Kind::needs_reauthorisation,
                        "the client secret of connection '" + connection.name + "' is read from " +
                            source +
                            ", which is not available; provide it there or run: sluice connect "
                            "zoom --reconnect --name " +
                            connection.name);
}

Tokens renew_blocking(const Services& services, const Connection& connection,
                      const CredentialStore::CommitTokens& commit) {
  const Secret secret = client_secret_of(connection);
  try {
    return wait_for(services,
                    [&]() -> asio::awaitable<TokenAnswer> {
                      warm_json_parser();
                      TokenAnswer answer = co_await renew(*services.http, connection, secret);
                      commit(answer.tokens);
                      co_return answer;
                    })
        .tokens;
  } catch (const OAuthError& e) {
    // The grant or the client is no longer valid: only a human can fix that.
    if (e.grant_rejected() || e.error() == "invalid_client" || e.error() == "unauthorized_client")
      throw RefreshTokenRejected(std::string(e.what()) + ". Run: sluice connect zoom " +
                                 "--reconnect --name " + connection.name);
    throw NodeError(ErrorCategory::permission, e.what());
  }
}

} // namespace sluice::zoom
