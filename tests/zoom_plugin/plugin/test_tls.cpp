// HTTPS to Zoom: the emulator with a certificate from a test CA. `--ca-file` makes it
// trusted; an unknown issuer or a certificate for another host name fails the connect with
// a certificate error.

#include "plugin_test_support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>

using namespace sluice::zoom::plugin_test;
using sluice::Value;

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Server-to-Server: the token request is the first thing sent to the server, so a refused
// certificate shows there (no browser involved).
CliResult connect_s2s(Workspace& workspace, const Emulator& emulator,
                      const std::vector<std::string>& extra) {
  std::vector<std::string> arguments = {"--account-id", "emulator-account"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return workspace.connect(emulator, "tls", arguments);
}

void check_certificate_refusal(const CliResult& connected) {
  CHECK(connected.exit_code == 1);
  CAPTURE(connected.err);
  CHECK(connected.err.find("sluice: connect zoom:") != std::string::npos);
  CHECK(lower(connected.err).find("certificate") != std::string::npos);
}

} // namespace

TEST_CASE("connect and run over HTTPS with --ca-file") {
  const TestCertificates& certificates = TestCertificates::get();
  Emulator emulator(
      {"--auto-approve", "--tls-cert", certificates.good_cert, "--tls-key", certificates.good_key},
      certificates.ca);
  REQUIRE(emulator.tls());
  Workspace workspace;
  // The "browser" trusts the test CA too; the plugin trusts it through --ca-file.
  const CliResult connected =
      workspace.connect(emulator, "tls",
                        {"--ca-file", certificates.ca, "--browser-command",
                         "curl -s -L --cacert " + certificates.ca + " -o /dev/null"});
  REQUIRE_MESSAGE(connected.exit_code == 0, connected.describe());
  CHECK(connected.out.find("Connected 'tls'") != std::string::npos);
  // The CA file is kept with the connection: runs need no option.
  const CliResult run = workspace.run(R"(version: 1
name: over-tls
nodes:
  me: { type: zoom.get_user }
  created: { type: zoom.create_meeting, with: { topic: Encrypted } }
outputs:
  email: "{{ me.email }}"
  join_url: "{{ created.join_url }}"
)");
  REQUIRE_MESSAGE(run.exit_code == 0, run.describe());
  CHECK(run.json()["outputs"]["email"] == Value("emulator.user@example.com"));
  CHECK(std::string(run.json()["outputs"]["join_url"].as_string()).starts_with("https://"));
  CHECK(emulator.counters()["meetings_created"] == Value(1));
}

TEST_CASE("an untrusted or misnamed certificate fails the connect clearly") {
  const TestCertificates& certificates = TestCertificates::get();
  SUBCASE("test CA, but no --ca-file") {
    Emulator emulator({"--tls-cert", certificates.good_cert, "--tls-key", certificates.good_key},
                      certificates.ca);
    Workspace workspace;
    check_certificate_refusal(connect_s2s(workspace, emulator, {}));
    CHECK(emulator.tokens_issued() == 0);
    CHECK(connection_rows(workspace).as_object().empty());
  }
  SUBCASE("self-signed certificate") {
    Emulator emulator({"--tls-cert", certificates.self_cert, "--tls-key", certificates.self_key},
                      certificates.self_cert);
    Workspace workspace;
    check_certificate_refusal(connect_s2s(workspace, emulator, {"--ca-file", certificates.ca}));
    CHECK(emulator.tokens_issued() == 0);
  }
  SUBCASE("certificate for another host name") {
    Emulator emulator({"--tls-cert", certificates.wrong_cert, "--tls-key", certificates.wrong_key},
                      certificates.ca);
    Workspace workspace;
    const CliResult connected = connect_s2s(workspace, emulator, {"--ca-file", certificates.ca});
    check_certificate_refusal(connected);
    // (The emulator's counters are out of reach here: the test client checks the name too.)
  }
}
