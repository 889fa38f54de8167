// sluice-zoom-emulator: a local, stateful stand-in for Zoom's OAuth and Meetings API.

#include "server.hpp"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace {

using sluice::zoom_emulator::ClientConfig;
using sluice::zoom_emulator::EmulatorConfig;
using sluice::zoom_emulator::Plan;

std::vector<std::string> split_scopes(const std::string& text) {
  std::vector<std::string> scopes;
  std::string current;
  for (const char c : text + " ") {
    if (c == ' ' || c == ',') {
      if (!current.empty())
        scopes.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  return scopes;
}

// `--faults @file` reads the specification from a file.
std::string read_fault_spec(const std::string& argument) {
  if (!argument.starts_with("@"))
    return argument;
  std::ifstream file(argument.substr(1));
  if (!file)
    throw std::runtime_error("cannot read " + argument.substr(1));
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

} // namespace

int main(int argc, char** argv) {
  EmulatorConfig config;
  std::vector<std::string> client_ids;
  std::vector<std::string> client_secrets;
  std::vector<std::string> client_scopes;
  std::vector<std::string> redirect_uris;
  std::string plan = "pro";
  std::string faults;

  CLI::App app{"Local emulator of Zoom's OAuth and Meetings API for tests and demos."};
  app.add_option("--host", config.host, "Address to bind (loopback by default)");
  app.add_option("--port", config.port, "Port to listen on; 0 picks a free port");
  app.add_option("--tls-cert", config.tls_cert_file, "PEM certificate chain: serve HTTPS")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", config.tls_key_file, "PEM private key for --tls-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--client-id", client_ids, "OAuth client id (repeatable)");
  app.add_option("--client-secret", client_secrets, "Secret of the matching --client-id");
  app.add_option("--client-scopes", client_scopes,
                 "Scopes granted to the matching --client-id (space or comma separated)");
  std::vector<std::string> public_client_ids;
  app.add_option("--public-client-id", public_client_ids,
                 "PKCE-only client without a secret (repeatable); gets the default scopes");
  app.add_option("--redirect-uri", redirect_uris,
                 "Allowed redirect URI (repeatable); without it any loopback URI is accepted");
  app.add_option("--account-id", config.account_id, "Account id for account_credentials");
  app.add_option("--users", config.users, "Number of users in the account")
      ->check(CLI::Range(1, 1000));
  app.add_option("--user-timezone", config.user_timezone, "Time zone of the seeded users");
  app.add_flag("--auto-approve", config.auto_approve,
               "Approve /oauth/authorize at once instead of showing the consent page");
  app.add_option("--access-token-ttl", config.access_token_ttl_seconds,
                 "Access-token lifetime in seconds")
      ->check(CLI::Range(1, 24 * 3600));
  app.add_option("--plan", plan, "Rate-limit plan")
      ->check(CLI::IsMember({"free", "pro", "business"}));
  bool no_rate_limits = false;
  app.add_flag("--no-rate-limits", no_rate_limits,
               "Disable the plan's rate limits (for load tests of the emulator itself)");
  app.add_option("--faults", faults, "Fault rules as JSON, or @file (see README)");
  app.add_option("--record-requests", config.record_requests_file,
                 "Append one JSON line per API request received (method, path, query, body)");
  app.add_option("--seed", config.seed, "Seed for ids, tokens and fault draws (reproducible)");
  CLI11_PARSE(app, argc, argv);

  config.seed_given = app.count("--seed") > 0;
  config.rate_limits = !no_rate_limits;
  config.plan = plan == "free" ? Plan::free : plan == "business" ? Plan::business : Plan::pro;
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    std::cerr << "--tls-cert and --tls-key go together\n";
    return 2;
  }
  if (client_ids.empty()) {
    client_ids.push_back("emulator-client");
    if (client_secrets.empty())
      client_secrets.push_back("emulator-secret");
  }
  if (client_secrets.size() != client_ids.size()) {
    std::cerr << "give one --client-secret per --client-id\n";
    return 2;
  }
  if (client_scopes.size() > client_ids.size()) {
    std::cerr << "more --client-scopes than --client-id\n";
    return 2;
  }
  for (std::size_t i = 0; i < client_ids.size(); ++i) {
    ClientConfig client{client_ids[i], client_secrets[i],
                        i < client_scopes.size() ? split_scopes(client_scopes[i])
                                                 : sluice::zoom_emulator::default_scopes(),
                        redirect_uris};
    config.clients.push_back(std::move(client));
  }
  for (const std::string& id : public_client_ids)
    config.clients.push_back(
        ClientConfig{id, {}, sluice::zoom_emulator::default_scopes(), redirect_uris, true});
  try {
    config.faults = read_fault_spec(faults);
    return sluice::zoom_emulator::run_server(config);
  } catch (const std::exception& error) {
    std::cerr << "sluice-zoom-emulator: " << error.what() << "\n";
    return 1;
  }
}
