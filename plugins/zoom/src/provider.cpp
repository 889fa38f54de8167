// The `zoom` connection provider: the options of `sluice connect zoom`, getting tokens through
// the browser or server-to-server, saving the connection, and checking or revoking it later.

#include "provider.hpp"

#include "api.hpp"
#include "browser_flow.hpp"
#include "endpoints.hpp"
#include "oauth.hpp"
#include "scopes.hpp"
#include "services.hpp"

#include "sluice_zoom/meeting_input.hpp"

#include <sluice/url.hpp>

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

namespace sluice::zoom {

namespace asio = boost::asio;

namespace {

struct ConnectArgs {
  std::string name;
  std::string client_id;
  std::string client_secret_file;
  std::string account_id; // server-to-server when set
  bool reconnect = false;
  std::string api_base_url;
  std::string oauth_base_url;
  std::string ca_file;
  std::string redirect_uri; // empty: http://127.0.0.1:<free port>/callback
  bool no_browser = false;
  bool allow_insecure_http = false;
  std::string browser_command;
  int timeout_seconds = 300;
};

std::string utc_text(Timestamp t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
  return text;
}

Secret read_secret(const ConnectArgs& args, const std::optional<Connection>& existing) {
  if (!args.client_secret_file.empty()) {
    std::ifstream in(args.client_secret_file);
    if (!in)
      throw std::runtime_error("cannot read the client secret file '" + args.client_secret_file +
                               "'");
    std::stringstream text;
    text << in.rdbuf();
    std::string secret = text.str();
    while (!secret.empty() &&
           (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' '))
      secret.pop_back();
    if (secret.empty())
      throw std::runtime_error("the client secret file '" + args.client_secret_file + "' is empty");
    return Secret(std::move(secret));
  }
  if (const char* env = std::getenv("SLUICE_ZOOM_CLIENT_SECRET"); env && *env)
    return Secret(env);
  if (existing && (args.client_id.empty() || args.client_id == existing->client_id))
    return client_secret_of(*existing);
  return {}; // a public PKCE client has no secret (not for server-to-server)
}

Value account_from_user(const Value& user) {
  Object account;
  for (const char* key : {"id", "email", "account_id", "display_name"}) {
    const Value& v = user[key];
    if (v.is_string())
      account.emplace_back(std::string(key) == "id" ? "user_id" : key, v);
  }
  return Value(std::move(account));
}

// GET /users/me with `access_token` (before the connection is stored).
asio::awaitable<Value> fetch_me(HttpClient& http, const Endpoints& endpoints,
                                const Secret& access_token) {
  HttpRequest request = endpoints.request("GET", endpoints.api_base_url + "/users/me");
  request.headers.push_back({"Authorization", "Bearer " + access_token.reveal()});
  request.headers.push_back({"Accept", "application/json"});
  request.secrets.push_back(access_token);
  const HttpResponse response = co_await http.send(std::move(request));
  if (response.status != 200) {
    std::string message;
    try {
      const Value body = Value::parse_json(response.body);
      if (body["message"].is_string())
        message = std::string(body["message"].as_string());
    } catch (const std::exception&) {
    }
    throw std::runtime_error("Zoom refused GET /users/me with the new token (HTTP " +
                             std::to_string(response.status) +
                             (message.empty() ? "" : ": " + message) + ")");
  }
  co_return Value::parse_json(response.body);
}

std::string describe_scopes(const std::vector<std::string>& granted) {
  const std::vector<ScopeNeed> unmet = unmet_scope_needs(granted);
  if (unmet.empty())
    return "all six zoom.* node types allowed";
  std::string text = "missing scopes: ";
  for (std::size_t i = 0; i < unmet.size(); ++i)
    text += (i ? ", " : "") + unmet[i].granular + " (" + unmet[i].node_type + ")";
  return text;
}

std::string check_connection(ProviderContext& ctx, const Connection& connection) {
  CredentialStore& store = ctx.credentials();
  const Services services = Services::of(ctx);
  const Value user = wait_for(services, [&]() -> asio::awaitable<Value> {
    ZoomApi api(services, store, connection.name, ApiPolicy::from_environment());
    const ApiRequest request =
        api_request("GET", "/users/me", "read the connection's user", "user:read:user");
    const ApiAnswer answer = co_await api.call_ok(request);
    co_return answer.body;
  });
  const auto fresh = store.find(connection.name);
  const Value& email = user["email"];
  return "signed in as " + (email.is_string() ? std::string(email.as_string()) : "?") +
         "; access token valid until " +
         utc_text(fresh ? fresh->expires_at : connection.expires_at) + "; " +
         describe_scopes(fresh ? fresh->scopes : connection.scopes);
}

int connect(ProviderContext& ctx, const std::vector<std::string>& argv) {
  ConnectArgs args;
  CLI::App app{"Authorise Sluice to use a Zoom account and store the connection (encrypted).\n"
               "User OAuth (authorization code + PKCE) by default; with --account-id, "
               "Server-to-Server OAuth.",
               "sluice connect zoom"};
  app.add_option("--name", args.name, "Name of the connection, e.g. zoom-work")->required();
  app.add_option("--client-id", args.client_id,
                 "The OAuth app's client id (kept from the stored connection on --reconnect)");
  app.add_option("--client-secret-file", args.client_secret_file,
                 "File holding the client secret (or set SLUICE_ZOOM_CLIENT_SECRET; never "
                 "pass secrets as arguments)");
  app.add_option("--account-id", args.account_id,
                 "Server-to-Server OAuth: the account id (account_credentials grant)");
  app.add_flag("--reconnect", args.reconnect, "Re-authorise the existing connection NAME");
  app.add_option("--api-base-url", args.api_base_url,
                 "Zoom API base URL (default https://api.zoom.us/v2)");
  app.add_option("--oauth-base-url", args.oauth_base_url,
                 "Zoom OAuth base URL (default https://zoom.us)");
  app.add_option("--ca-file", args.ca_file, "Extra CA certificates (PEM) to trust")
      ->check(CLI::ExistingFile);
  app.add_option("--redirect-uri", args.redirect_uri,
                 "Loopback redirect URI registered with the Zoom app, e.g. "
                 "http://127.0.0.1:8765/callback (default: http://127.0.0.1:<free port>/callback)");
  app.add_flag("--no-browser", args.no_browser, "Only print the URL to open");
  app.add_flag("--allow-insecure-http", args.allow_insecure_http,
               "Allow plain http to a host that is not loopback (tokens travel in clear "
               "text; for test servers on a private network only)");
  app.add_option("--browser-command", args.browser_command,
                 "Command that opens the URL (default: xdg-open)");
  app.add_option("--timeout", args.timeout_seconds, "Seconds to wait for the browser")
      ->capture_default_str();
  try {
    std::vector<std::string> reversed(argv.rbegin(), argv.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, ctx.out(), ctx.err());
    return code == 0 ? 0 : 2;
  }

  try {
    CredentialStore& store = ctx.credentials();
    const std::optional<Connection> existing = store.find(args.name);
    if (existing && !args.reconnect) {
      ctx.err() << "sluice: a connection named '" << args.name
                << "' exists; add --reconnect to re-authorise it, or choose another name\n";
      return 1;
    }
    if (!existing && args.reconnect) {
      ctx.err() << "sluice: there is no connection named '" << args.name << "' to reconnect\n";
      return 1;
    }
    if (existing && existing->provider != "zoom") {
      ctx.err() << "sluice: connection '" << args.name << "' belongs to provider '"
                << existing->provider << "'\n";
      return 1;
    }
    Endpoints endpoints = existing ? Endpoints::from_extra(existing->extra) : Endpoints{};
    if (!args.api_base_url.empty())
      endpoints.api_base_url = normalised_base_url(args.api_base_url, "--api-base-url");
    if (!args.oauth_base_url.empty())
      endpoints.oauth_base_url = normalised_base_url(args.oauth_base_url, "--oauth-base-url");
    if (!args.ca_file.empty())
      endpoints.ca_file = std::filesystem::absolute(args.ca_file).string();
    if (args.allow_insecure_http)
      endpoints.allow_insecure_http = true;
    for (const auto& [option, url] : {std::pair{"--api-base-url", endpoints.api_base_url},
                                      std::pair{"--oauth-base-url", endpoints.oauth_base_url}}) {
      const Url parsed = Url::parse(url);
      if (parsed.scheme == "http" && !parsed.is_loopback() && !endpoints.allow_insecure_http) {
        ctx.err() << "sluice: " << option << " " << url
                  << " is plain http to a host that is not loopback: tokens and the client "
                     "secret would travel in clear text. Use https, or add "
                     "--allow-insecure-http for a test server on a network you trust\n";
        return 2;
      }
    }
    if (args.client_id.empty() && existing)
      args.client_id = existing->client_id;
    if (args.client_id.empty()) {
      ctx.err() << "sluice: --client-id is required (the Client ID of your Zoom app)\n";
      return 2;
    }
    if (args.account_id.empty() && existing && existing->grant_type == "account_credentials" &&
        existing->account["account_id"].is_string())
      args.account_id = std::string(existing->account["account_id"].as_string());
    const ClientCredentials client{args.client_id, read_secret(args, existing)};
    const bool server_to_server = !args.account_id.empty();
    if (server_to_server && client.client_secret.empty()) {
      ctx.err() << "sluice: Server-to-Server OAuth needs the client secret: "
                   "--client-secret-file FILE or SLUICE_ZOOM_CLIENT_SECRET\n";
      return 2;
    }

    TokenAnswer answer;
    if (server_to_server) {
      Form form;
      form.emplace_back("grant_type", "account_credentials");
      form.emplace_back("account_id", args.account_id);
      answer = wait_for(Services::of(ctx), [&]() -> asio::awaitable<TokenAnswer> {
        co_return co_await request_token(ctx.http(), endpoints, client, form);
      });
    } else {
      BrowserFlow flow;
      flow.redirect_uri = args.redirect_uri;
      flow.open_browser = !args.no_browser && (ctx.interactive() || !args.browser_command.empty());
      flow.browser_command = args.browser_command;
      flow.timeout = std::chrono::seconds(args.timeout_seconds);
      answer = authorize_in_browser(ctx, endpoints, client, flow);
    }
    if (answer.api_url && args.api_base_url.empty())
      endpoints.api_base_url = normalised_base_url(*answer.api_url + "/v2", "Zoom's api_url");

    const Value user = wait_for(Services::of(ctx), [&]() -> asio::awaitable<Value> {
      co_return co_await fetch_me(ctx.http(), endpoints, answer.tokens.access_token);
    });
    NewConnection connection;
    connection.name = args.name;
    connection.provider = "zoom";
    connection.account = account_from_user(user);
    if (server_to_server) {
      Object account;
      for (const auto& [k, v] : connection.account.as_object())
        if (k != "account_id")
          account.emplace_back(std::string(k), v);
      account.emplace_back("account_id", args.account_id);
      connection.account = Value(std::move(account));
    }
    connection.scopes = answer.tokens.scopes.value_or(std::vector<std::string>{});
    connection.grant_type = server_to_server ? "account_credentials" : "authorization_code";
    connection.client_id = args.client_id;
    connection.client_secret = client.client_secret;
    connection.tokens = answer.tokens;
    connection.extra = endpoints.to_extra(existing ? existing->extra : Value());
    const Connection saved = store.save_new(connection, args.reconnect);
    const std::string health = check_connection(ctx, saved);
    ctx.out() << (args.reconnect ? "Reconnected" : "Connected") << " '" << saved.name
              << "': " << health << "\n";
    return 0;
  } catch (const std::exception& e) {
    ctx.err() << "sluice: connect zoom: " << e.what() << "\n";
    return 1;
  }
}

void revoke_connection(ProviderContext& ctx, const Connection& connection) {
  const Endpoints endpoints = Endpoints::from_extra(connection.extra);
  const ClientCredentials client{connection.client_id, client_secret_of(connection)};
  // Revoking either token ends the grant; the refresh token outlives the access token.
  const Secret& token =
      connection.refresh_token.empty() ? connection.access_token : connection.refresh_token;
  wait_for(Services::of(ctx), [&]() -> asio::awaitable<int> {
    co_await revoke(ctx.http(), endpoints, client, token);
    co_return 0;
  });
}

} // namespace

ConnectionProvider zoom_provider() {
  ConnectionProvider provider;
  provider.name = "zoom";
  provider.description = "Zoom meetings and users (OAuth 2.0 with PKCE, or Server-to-Server)";
  provider.connect = connect;
  provider.check = check_connection;
  provider.revoke = revoke_connection;
  return provider;
}

} // namespace sluice::zoom
