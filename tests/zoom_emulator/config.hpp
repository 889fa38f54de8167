#pragma once
// The emulator's configuration as given on the command line.

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::zoom_emulator {

enum class Plan { free, pro, business };

struct ClientConfig {
  std::string id;
  std::string secret;
  std::vector<std::string> scopes;        // granted to every token of this client
  std::vector<std::string> redirect_uris; // empty: any loopback redirect URI (RFC 8252)
  bool is_public = false; // PKCE-only client without a secret (Zoom's public client ID)
};

struct EmulatorConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::vector<ClientConfig> clients;
  std::string account_id = "emulator-account";
  int users = 1;                                     // seeded users in the account
  std::string user_timezone = "America/Los_Angeles"; // the users' (and account's) zone
  bool auto_approve = false;
  int access_token_ttl_seconds = 3600;
  Plan plan = Plan::pro;
  bool rate_limits = true; // off: for load tests that measure the emulator itself
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::string faults; // initial fault specification, same syntax as POST /_emulator/faults
  std::string record_requests_file; // one JSON line per /v2 request received; empty: none

  bool tls() const { return !tls_cert_file.empty(); }
};

// The seven scopes of the Zoom plugin's app (docs/zoom-api.md §5), granted when none are given.
std::vector<std::string> default_scopes();

} // namespace sluice::zoom_emulator
