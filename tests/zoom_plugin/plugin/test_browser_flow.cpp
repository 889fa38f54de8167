// The browser side of `sluice connect zoom`: what the browser process inherits, and what the
// page on the loopback listener tells the user when the redirect is not a good one. The
// "browser" is a shell script run through --browser-command, as a user's would be.

#include "plugin_test_support.hpp"
#include "support/files.hpp"

#include <fstream>
#include <sstream>

using namespace sluice;
using namespace sluice::zoom::plugin_test;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("the browser is started without the credential key, the client secret or other secrets") {
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  const std::filesystem::path seen = workspace.directory() / "browser-environment.txt";
  const std::filesystem::path browser = workspace.write(
      "browser.sh", "env > '" + seen.string() + "'\nexec curl -s -L -o /dev/null \"$1\"\n");
  const CliResult connected = workspace.connect(
      emulator, "env", {"--browser-command", "sh " + browser.string()},
      {"MY_API_TOKEN=token-value-1", "DB_PASS=pass-value-2", "KEYBOARD_LAYOUT=de-neo"});
  REQUIRE_MESSAGE(connected.exit_code == 0, connected.describe());

  const std::string environment = test_support::read_file(seen);
  REQUIRE(contains(environment, "PATH="));
  CHECK(contains(environment, "KEYBOARD_LAYOUT=de-neo")); // not a secret: KEY is not a word here
  for (const char* name : {"SLUICE_CREDENTIALS_KEY=", "SLUICE_ZOOM_CLIENT_SECRET=",
                           "SLUICE_CREDENTIALS=", "MY_API_TOKEN=", "DB_PASS="})
    CHECK_MESSAGE(!contains(environment, name), name << " reached the browser");
  for (const char* value : {client_secret, "token-value-1", "pass-value-2"})
    CHECK_MESSAGE(!contains(environment, value), "a secret value reached the browser");
}

TEST_CASE("a redirect with a forged state: the page says nothing was connected, as the command "
          "does") {
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  const std::filesystem::path page = workspace.directory() / "page.html";
  // Reads Zoom's redirect without following it, swaps the state, and then follows.
  const std::filesystem::path browser =
      workspace.write("browser.sh", "to=$(curl -s -o /dev/null -w '%{redirect_url}' \"$1\")\n"
                                    "forged=$(printf '%s' \"$to\" | sed 's/state=[^&]*/state=x/')\n"
                                    "curl -s -o '" +
                                        page.string() + "' \"$forged\"\n");
  const CliResult connected =
      workspace.connect(emulator, "forged", {"--browser-command", "sh " + browser.string()});
  CHECK(connected.exit_code != 0);
  CHECK(contains(connected.err, "state does not match"));
  CHECK_FALSE(workspace.stored("forged"));
  CHECK(emulator.requests("POST /oauth/token") == 0); // the code was never exchanged

  const std::string html = test_support::read_file(page);
  CAPTURE(html);
  CHECK(contains(html, "not connected"));
  CHECK(contains(html, "state does not match"));
  CHECK_FALSE(contains(html, "authorised Sluice"));
}

TEST_CASE("a denied authorization: the page and the command say why, escaped") {
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  const std::filesystem::path page = workspace.directory() / "page.html";
  // Answers the listener as Zoom would after a refusal, with a hostile description.
  const std::filesystem::path browser = workspace.write(
      "browser.sh", "to=$(curl -s -o /dev/null -w '%{redirect_url}' \"$1\")\n"
                    "state=$(printf '%s' \"$to\" | sed 's/.*state=\\([^&]*\\).*/\\1/')\n"
                    "curl -s -o '" +
                        page.string() +
                        "' \"${to%%\\?*}?error=access_denied&state=$state"
                        "&error_description=%3Cscript%3Ex%3C%2Fscript%3E%1B%5B2J\"\n");
  const CliResult connected =
      workspace.connect(emulator, "denied", {"--browser-command", "sh " + browser.string()});
  CHECK(connected.exit_code != 0);
  CHECK(contains(connected.err, "Zoom did not authorise the app: access_denied"));
  CHECK(contains(connected.err, "\\x1b[2J")); // the escape byte is spelled out, not sent
  CHECK_FALSE(contains(connected.err, "\x1b"));

  const std::string html = test_support::read_file(page);
  CAPTURE(html);
  CHECK(contains(html, "not connected"));
  CHECK(contains(html, "access_denied"));
  CHECK(contains(html, "&lt;script&gt;"));
  CHECK_FALSE(contains(html, "<script>"));
}
