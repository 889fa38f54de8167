#pragma once
// Helpers for test_zoom_plugin: a throw-away workspace (directory, credential store, key)
// that runs the real `sluice` CLI as a child process, and a running emulator with its
// admin endpoints (counters, faults, token expiry).

#include "emulator_process.hpp"
#include "http_client.hpp"
#include "test_certificates.hpp"

#include <sluice/credentials.hpp>
#include <sluice/credentials_store.hpp>
#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sluice::zoom::plugin_test {

using zoom_emulator::test::HttpClient;
using zoom_emulator::test::HttpResult;

// The emulator's default client (tests/zoom_emulator/README.md).
inline constexpr const char* client_id = "emulator-client";
inline constexpr const char* client_secret = "emulator-secret";

// The real emulator binary on a free port, plus its admin endpoints.
class Emulator {
public:
  explicit Emulator(std::vector<std::string> arguments = {}, std::string ca_file = {});

  const std::string& url() const { return process_.url(); }
  std::uint16_t port() const { return process_.port(); }
  std::string api_base_url() const { return url() + "/v2"; }
  bool tls() const { return url().starts_with("https://"); }

  Value counters() const;
  // requests_per_route[route] (0 when absent), e.g. "GET /v2/meetings/{meetingId}".
  std::int64_t requests(const std::string& route) const;
  // Requests to any /v2 route.
  std::int64_t api_requests() const;
  std::int64_t tokens_issued() const;
  void set_faults(const std::string& json) const;
  void expire_tokens() const;
  // A fresh connection each time: faults may have closed an earlier one.
  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const std::map<std::string, std::string>& headers = {}) const;

private:
  zoom_emulator::test::EmulatorProcess process_;
  std::string ca_file_;
};

struct CliResult {
  std::vector<std::string> arguments;
  int exit_code = -1; // -1: killed by a signal
  std::string out;
  std::string err;

  // stdout parsed as JSON (`--json` runs).
  Value json() const;
  std::string describe() const; // for failure messages
};

// A started CLI process; finish it with Workspace::wait.
struct CliProcess {
  pid_t pid = -1;
  std::vector<std::string> arguments;
  std::filesystem::path out_file;
  std::filesystem::path err_file;
};

// One test's directory, credential store and environment. Every CLI run's output is kept
// and checked against every secret the test has seen (client secret, tokens in the store).
class Workspace {
public:
  Workspace();
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  const std::filesystem::path& directory() const { return directory_; }
  std::filesystem::path credentials() const { return directory_ / "credentials.db"; }
  std::filesystem::path write(const std::string& name, const std::string& text) const;

  // Runs `sluice ARGUMENTS...` to the end.
  CliResult sluice(const std::vector<std::string>& arguments,
                   const std::vector<std::string>& extra_environment = {});
  CliProcess start(const std::vector<std::string>& arguments,
                   const std::vector<std::string>& extra_environment = {});
  CliResult wait(const CliProcess& process);

  // `sluice connect zoom --name NAME` against `emulator` through the headless browser flow
  // (or server-to-server with `--account-id` in `extra`).
  CliResult connect(const Emulator& emulator, const std::string& name,
                    const std::vector<std::string>& extra = {},
                    const std::vector<std::string>& extra_environment = {});
  // Writes `yaml` to a new file and runs it with `--json`.
  CliResult run(const std::string& yaml, const std::vector<std::string>& extra = {});

  // The stored connection, read in-process with the test's key (its tokens are remembered
  // as secrets).
  std::optional<Connection> stored(const std::string& name);
  // The store opened in this process with the test's key (for an embedded engine).
  std::shared_ptr<CredentialStore> open_store() const;
  // Keeps connections in this PostgreSQL database from now on (SLUICE_STORE for the CLI).
  void use_store(const std::string& url) { store_url_ = url; }

  // Fails the test if any CLI output so far contains a secret (called after every run).
  void check_no_secrets();
  // Fails the test if `text` (the content of `what`, e.g. a cassette) holds any secret this
  // test has seen: tokens, the client secret, the store's key, or a bearer token.
  void check_no_secrets_in(const std::string& text, const std::string& what);
  std::size_t secrets_known() const { return secrets_.size(); }

private:
  void collect_secrets();
  std::vector<std::string> environment(const std::vector<std::string>& extra) const;

  std::filesystem::path directory_;
  // Whether the store exists yet, and its options with the test's key.
  bool store_exists() const;
  CredentialStoreOptions store_options() const;

  std::string key_hex_;
  std::string store_url_;
  int next_file_ = 0;
  std::set<std::string> secrets_;
  std::vector<CliResult> history_;
};

// The entry for node `name` in a `--json` run's `nodes` list (null when absent).
Value node_result(const Value& run, const std::string& name);
// `sluice connections list --json` as a name -> row object.
Value connection_rows(Workspace& workspace);

using TestCertificates = sluice::zoom_emulator::test::TestCertificates;

} // namespace sluice::zoom::plugin_test

// Values in doctest's messages (CHECK(a == b), CAPTURE) as JSON.
template <> struct doctest::StringMaker<sluice::Value> {
  static doctest::String convert(const sluice::Value& value) { return value.to_json().c_str(); }
};
