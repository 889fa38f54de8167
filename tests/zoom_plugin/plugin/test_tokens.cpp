// Token life: refresh before expiry and once after a 401, refresh-token rotation shared by
// several `sluice run` processes at once, a revoked grant, and `connections check` /
// `connections delete --revoke`.

#include "plugin_test_support.hpp"
#include "support/postgres_server.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace sluice::zoom::plugin_test;
using sluice::Value;

namespace {

constexpr const char* get_user_pipeline = R"(version: 1
name: me
nodes:
  me: { type: zoom.get_user }
outputs:
  email: "{{ me.email }}"
)";

bool contains(const Value& text, const std::string& part) {
  return text.is_string() && std::string(text.as_string()).find(part) != std::string::npos;
}

void check_ok(const CliResult& run) {
  CHECK_MESSAGE(run.exit_code == 0, run.describe());
}

} // namespace

TEST_CASE("a run keeps working across access-token expiry") {
  // The plugin refreshes 120 s before expiry: a 122 s token is fresh for 2 s.
  Emulator emulator({"--auto-approve", "--access-token-ttl", "122"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  REQUIRE(emulator.tokens_issued() == 1);
  const CliResult run = workspace.run(R"(version: 1
name: across-expiry
nodes:
  before: { type: zoom.get_user }
  wait: { type: core.delay, needs: [before], with: { ms: 2300 } }
  after: { type: zoom.get_user, needs: [wait] }
  list: { type: zoom.list_meetings, needs: [wait] }
outputs:
  before: "{{ before.email }}"
  after: "{{ after.email }}"
)");
  check_ok(run);
  CHECK(run.json()["outputs"]["after"] == Value("emulator.user@example.com"));
  // One refresh for the two nodes after the wait (single flight inside the process).
  CHECK(emulator.tokens_issued() == 2);
  CHECK(emulator.requests("POST /oauth/token") == 2);
  CHECK(workspace.stored("demo")->version == 2);
  CHECK(run.err.find("refreshed the access token of connection 'demo'") != std::string::npos);

  // A token that lives shorter than the margin is still used, not refreshed in a loop.
  Emulator short_lived({"--auto-approve", "--access-token-ttl", "2"});
  Workspace other;
  REQUIRE(other.connect(short_lived, "demo").exit_code == 0);
  const std::int64_t before = short_lived.tokens_issued();
  const CliResult quick = other.run(R"(version: 1
name: short-lived
nodes:
  first: { type: zoom.get_user }
  wait: { type: core.delay, needs: [first], with: { ms: 2100 } }
  second: { type: zoom.get_user, needs: [wait] }
)");
  check_ok(quick);
  const std::int64_t refreshes = short_lived.tokens_issued() - before;
  MESSAGE("refreshes with a 2 s token over a 2.1 s run: " << refreshes);
  CHECK(refreshes >= 1);
  CHECK(refreshes <= 2);
  CHECK(short_lived.requests("POST /oauth/token") == short_lived.tokens_issued());
}

TEST_CASE("a 401 after the tokens were expired is retried once after a refresh") {
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  const std::int64_t gets = emulator.requests("GET /v2/users/{userId}");
  emulator.expire_tokens();
  const CliResult run = workspace.run(get_user_pipeline);
  check_ok(run);
  CHECK(emulator.requests("GET /v2/users/{userId}") == gets + 2); // the 401, then the retry
  CHECK(emulator.tokens_issued() == 2);

  // Rejected again after the refresh: one refresh, one retry, then a clear failure.
  emulator.set_faults(R"([{"kind":"expire_token","path":"/v2/users/me"}])");
  const std::int64_t gets_before = emulator.requests("GET /v2/users/{userId}");
  const CliResult again = workspace.run(get_user_pipeline);
  CHECK(again.exit_code == 1);
  const Value me = node_result(again.json(), "me");
  CHECK(me["category"] == Value("permission"));
  CHECK(contains(me["message"], "rejected the access token even after a refresh"));
  CHECK(contains(me["message"], "sluice connect zoom --reconnect --name demo"));
  CHECK(emulator.requests("GET /v2/users/{userId}") == gets_before + 2); // never a loop
  CHECK(emulator.tokens_issued() == 3);
}

TEST_CASE("sluice run processes at once share refreshes without invalid_grant") {
  constexpr int processes = 4;
  const std::string pipeline = R"(version: 1
name: concurrent
inputs:
  items: { type: array, default: [1, 2, 3] }
nodes:
  me: { type: zoom.get_user, for_each: "{{ inputs.items }}", concurrency: 3 }
  list: { type: zoom.list_meetings, needs: [me] }
  again: { type: zoom.get_user, needs: [list] }
)";

  SUBCASE("after Zoom expired every token: exactly one refresh in all") {
    Emulator emulator({"--auto-approve"});
    Workspace workspace;
    REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
    emulator.expire_tokens();
    const std::filesystem::path file = workspace.write("concurrent.yaml", pipeline);
    std::vector<CliProcess> started;
    for (int i = 0; i < processes; ++i)
      started.push_back(workspace.start({"run", file.string(), "--json"}));
    for (const CliProcess& process : started)
      check_ok(workspace.wait(process));
    CHECK(emulator.tokens_issued() == 2);
    CHECK(emulator.requests("POST /oauth/token") == 2);
    const std::optional<sluice::Connection> stored = workspace.stored("demo");
    CHECK(stored->version == 2);
    CHECK(stored->status == sluice::ConnectionStatus::healthy);
  }

  SUBCASE("with a 2 s token: every refresh is stored, none is lost") {
    Emulator emulator({"--auto-approve", "--access-token-ttl", "2"});
    Workspace workspace;
    REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
    const std::filesystem::path file = workspace.write("concurrent.yaml", pipeline);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100)); // all start with a stale token
    for (int round = 0; round < 2; ++round) {
      std::vector<CliProcess> started;
      for (int i = 0; i < processes; ++i)
        started.push_back(workspace.start({"run", file.string(), "--json"}));
      for (const CliProcess& process : started)
        check_ok(workspace.wait(process));
    }
    const std::optional<sluice::Connection> stored = workspace.stored("demo");
    CHECK(stored->status == sluice::ConnectionStatus::healthy);
    const std::int64_t issued = emulator.tokens_issued();
    MESSAGE("token requests for 8 concurrent runs with a 2 s token: " << issued - 1
                                                                      << " refreshes");
    // Every token request succeeded (an invalid_grant issues nothing), and every refresh
    // the emulator made is the one the store kept: version 1 was the connect.
    CHECK(emulator.requests("POST /oauth/token") == issued);
    CHECK(stored->version == issued);
    CHECK(issued - 1 >= 1);
    // A final run with the stored (rotated) refresh token still works.
    check_ok(workspace.run(get_user_pipeline));
  }
}

TEST_CASE("processes of two machines on one PostgreSQL store share one refresh") {
  // Zoom rotates the refresh token with every refresh: a second refresh with the old one
  // would be invalid_grant and the connection would need a human. Four `sluice run`s, two
  // per "machine" (each its own local files, the same key), all start with expired tokens.
  static test_support::PostgresServer postgres;
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  workspace.use_store(postgres.create_database("rotation_race"));
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  emulator.expire_tokens();
  const std::filesystem::path file = workspace.write("concurrent.yaml", R"(version: 1
name: concurrent
nodes:
  me: { type: zoom.get_user }
  list: { type: zoom.list_meetings, needs: [me] }
)");
  const std::filesystem::path machine_b = workspace.directory() / "machine-b";
  const std::vector<std::string> on_machine_b = {"SLUICE_CREDENTIALS=" +
                                                     (machine_b / "credentials.db").string(),
                                                 "XDG_DATA_HOME=" + (machine_b / "xdg").string()};
  std::vector<CliProcess> started;
  for (int i = 0; i < 4; ++i)
    started.push_back(workspace.start({"run", file.string(), "--json"},
                                      i % 2 ? on_machine_b : std::vector<std::string>{}));
  for (const CliProcess& process : started)
    check_ok(workspace.wait(process));
  CHECK(emulator.tokens_issued() == 2); // the connect, and one refresh
  CHECK(emulator.requests("POST /oauth/token") == 2);
  const std::optional<sluice::Connection> stored = workspace.stored("demo");
  REQUIRE(stored);
  CHECK(stored->version == 2);
  CHECK(stored->status == sluice::ConnectionStatus::healthy);
  CHECK_FALSE(std::filesystem::exists(workspace.credentials())); // nothing kept in a file
  CHECK_FALSE(std::filesystem::exists(machine_b));
  // The stored refresh token is the live one: the next expiry refreshes with it.
  emulator.expire_tokens();
  check_ok(workspace.run(get_user_pipeline));
  CHECK(emulator.tokens_issued() == 3);
  CHECK(workspace.stored("demo")->version == 3);
}

TEST_CASE("a revoked grant fails with permission and asks to reconnect") {
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  // Revoke from a copy of the store, as another machine holding the same grant would.
  const std::filesystem::path copy = workspace.directory() / "copy.db";
  std::filesystem::copy_file(workspace.credentials(), copy);
  const CliResult revoked = workspace.sluice(
      {"connections", "delete", "demo", "--revoke", "--credentials", copy.string()});
  REQUIRE_MESSAGE(revoked.exit_code == 0, revoked.describe());
  CHECK(revoked.out.find("Revoked the grant at zoom") != std::string::npos);

  const CliResult run = workspace.run(get_user_pipeline);
  CHECK(run.exit_code == 1);
  const Value me = node_result(run.json(), "me");
  CHECK(me["category"] == Value("permission"));
  CAPTURE(me["message"]);
  CHECK(contains(me["message"], "sluice connect zoom --reconnect --name demo"));
  const Value rows = connection_rows(workspace);
  CHECK(rows["demo"]["status"] == Value("needs_reauthorisation"));
  CHECK(rows["demo"].find("status_reason"));

  // Later runs say the same without asking Zoom again.
  const std::int64_t token_requests = emulator.requests("POST /oauth/token");
  const CliResult later = workspace.run(get_user_pipeline);
  CHECK(later.exit_code == 1);
  CHECK(contains(node_result(later.json(), "me")["message"],
                 "sluice connect zoom --reconnect --name demo"));
  CHECK(emulator.requests("POST /oauth/token") == token_requests);

  // Reconnecting mends it.
  const CliResult reconnected = workspace.connect(emulator, "demo", {"--reconnect"});
  REQUIRE_MESSAGE(reconnected.exit_code == 0, reconnected.describe());
  CHECK(reconnected.out.find("Reconnected 'demo'") != std::string::npos);
  CHECK(connection_rows(workspace)["demo"]["status"] == Value("healthy"));
  check_ok(workspace.run(get_user_pipeline));
}

TEST_CASE("connections check and connections delete --revoke") {
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  const CliResult check = workspace.sluice({"connections", "check", "demo"});
  REQUIRE_MESSAGE(check.exit_code == 0, check.describe());
  CHECK(check.out.find("demo: ok: signed in as emulator.user@example.com") != std::string::npos);
  CHECK(check.out.find("all six zoom.* node types allowed") != std::string::npos);
  const CliResult show = workspace.sluice({"connections", "show", "demo"});
  CHECK(show.out.find("meeting:delete:meeting") != std::string::npos); // the granted scopes

  const std::optional<sluice::Connection> stored = workspace.stored("demo");
  REQUIRE(stored);
  const std::string access_token = stored->access_token.reveal();
  HttpClient client(emulator.port());
  REQUIRE(client.api("GET", "/v2/users/me", access_token).status == 200);

  const CliResult deleted = workspace.sluice({"connections", "delete", "demo", "--revoke"});
  REQUIRE_MESSAGE(deleted.exit_code == 0, deleted.describe());
  CHECK(deleted.out.find("Revoked the grant at zoom and deleted connection 'demo'") !=
        std::string::npos);
  CHECK(emulator.requests("POST /oauth/revoke") == 1);
  const HttpResult after = client.api("GET", "/v2/users/me", access_token);
  CHECK(after.status == 401);
  CHECK(after.json()["code"] == Value(124));
  CHECK(connection_rows(workspace).as_object().empty());
  const CliResult gone = workspace.sluice({"connections", "check", "demo"});
  CHECK(gone.exit_code == 1);
  CHECK(gone.err.find("no connection named 'demo'") != std::string::npos);
}
