// How Zoom's refusals reach the user: category, message and hint of the failed node, for
// each error the emulator produces (docs/zoom-api.md §3), and refusals made before any request.

#include "plugin_test_support.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <filesystem>

using namespace sluice::zoom::plugin_test;
using sluice::Value;

namespace {

bool contains(const Value& text, const std::string& part) {
  return text.is_string() && std::string(text.as_string()).find(part) != std::string::npos;
}

// The `--json` result of a run that must have succeeded (its failing nodes continue).
Value run_ok(Workspace& workspace, const std::string& yaml) {
  const CliResult run = workspace.run(yaml);
  REQUIRE_MESSAGE(run.exit_code == 0, run.describe());
  return run.json();
}

std::string next_utc_midnight() {
  using namespace std::chrono;
  const auto midnight = floor<days>(system_clock::now()) + days(1);
  const std::time_t seconds = system_clock::to_time_t(midnight);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

} // namespace

TEST_CASE("Zoom's refusals: not found, unknown user, Zoom's validation") {
  Emulator emulator({"--auto-approve", "--plan", "business"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  // Zoom's 300 for a body it will not take. The plugin checks every field the emulator
  // checks, so no setting gets through to be refused: Zoom's answer is injected instead.
  emulator.set_faults(R"([{"kind":"status","method":"POST","path":"/v2/users","times":1,)"
                      R"("status":400,"code":300,"message":"Validation Failed."}])");
  const Value result = run_ok(workspace, R"(version: 1
name: refusals
nodes:
  missing:
    type: zoom.get_meeting
    on_error: continue
    with: { meeting_id: 98765432109 }
  nobody:
    type: zoom.get_user
    on_error: continue
    with: { user_id: nobody@example.com }
  refused:
    type: zoom.create_meeting
    on_error: continue
    with: { topic: Refused by Zoom }
)");
  const Value missing = node_result(result, "missing");
  CHECK(missing["status"] == Value("failed"));
  CHECK(missing["category"] == Value("not_found"));
  CHECK(contains(missing["message"], "cannot get meeting 98765432109 (connection 'demo')"));
  CHECK(contains(missing["message"], "Meeting does not exist: 98765432109"));
  CHECK(contains(missing["message"], "HTTP 404, code 3001"));
  CHECK(contains(missing["message"], "x-zm-trackingid")); // for Zoom's support

  const Value nobody = node_result(result, "nobody");
  CHECK(nobody["category"] == Value("not_found"));
  CHECK(contains(nobody["message"], "nobody@example.com"));
  CHECK(contains(nobody["message"], "does not exist or is not in this account"));
  CHECK(contains(nobody["message"], "HTTP 404, code 1001"));

  const Value refused = node_result(result, "refused");
  CHECK(refused["category"] == Value("invalid_input"));
  CHECK(contains(refused["message"], "Zoom refused the request"));
  CHECK(contains(refused["message"], "HTTP 400, code 300"));
  // Refused, not lost: the create is neither repeated nor reconciled.
  CHECK(emulator.requests("POST /v2/users/{userId}/meetings") == 1);
  CHECK(emulator.requests("GET /v2/users/{userId}/meetings") == 0);
  CHECK(emulator.counters()["meetings_created"] == Value(0));
}

TEST_CASE("invalid literal settings are refused when the pipeline is loaded") {
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  const std::int64_t api_before = emulator.api_requests();
  const std::int64_t tokens_before = emulator.requests("POST /oauth/token");
  const std::filesystem::path file = workspace.write("literals.yaml", R"(version: 1
name: invalid
nodes:
  audio:
    type: zoom.create_meeting
    with: { topic: Loud, settings: { audio: loud }, timezone: Europe/Berln }
  passcode:
    type: zoom.update_meeting
    with: { meeting_id: 12345678901, password: "much-too-long-passcode" }
  page:
    type: zoom.list_meetings
    with: { page_size: 301 }
  meeting_id:
    type: zoom.delete_meeting
    with: { meeting_id: "12 34" }
  past:
    type: zoom.create_meeting
    with: { topic: Old, start_time: "2020-01-01T09:00:00Z", duration: 0 }
)");
  for (const char* command : {"validate", "run"}) {
    CAPTURE(command);
    const CliResult result = workspace.sluice({command, file.string()});
    CHECK(result.exit_code == 2);
    const std::string at = file.string() + ":";
    for (const std::string& expected :
         {at + "6:36: error: setting 'settings.audio' of zoom.create_meeting: ",
          at + "6:63: error: setting 'timezone' of zoom.create_meeting: \"Europe/Berln\" is not a "
               "known time zone; did you mean 'Europe/Berlin'?",
          at + "9:48: error: setting 'password' of zoom.update_meeting: ",
          at + "12:24: error: setting 'page_size' of zoom.list_meetings: ",
          at + "15:25: error: setting 'meeting_id' of zoom.delete_meeting: ",
          at + "18:37: error: setting 'start_time' of zoom.create_meeting: 2020-01-01T09:00:00Z "
               "is in the past",
          at + "18:71: error: setting 'duration' of zoom.create_meeting: ",
          std::string("7 errors in ")}) {
      CAPTURE(expected);
      CHECK(result.err.find(expected) != std::string::npos);
    }
    INFO(result.describe());
  }
  CHECK(emulator.api_requests() == api_before); // nothing reached Zoom
  CHECK(emulator.requests("POST /oauth/token") == tokens_before);
}

TEST_CASE("invalid settings computed by templates are refused before any request") {
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  const std::int64_t api_before = emulator.api_requests();
  const std::int64_t tokens_before = emulator.requests("POST /oauth/token");
  // A literal judged by a setting that a template computes is left to the run: with `type`
  // unknown, a start time in the past may be an instant meeting's (ignored) or a mistake.
  const std::filesystem::path typed = workspace.write("typed.yaml", R"(version: 1
inputs:
  type: { type: integer, default: 2 }
nodes:
  meeting:
    type: zoom.create_meeting
    with: { topic: Now, type: "{{ inputs.type }}", start_time: "2020-01-01T09:00:00Z" }
)");
  const CliResult validated = workspace.sluice({"validate", typed.string()});
  CHECK_MESSAGE(validated.exit_code == 0, validated.describe());

  // Each value comes from an input, so the pipeline loads and each node fails when it runs.
  const Value result = run_ok(workspace, R"(version: 1
name: invalid
inputs:
  audio: { type: string, default: loud }
  passcode: { type: string, default: much-too-long-passcode }
  page: { type: integer, default: 301 }
  id: { type: string, default: "12 34" }
  start: { type: string, default: "2020-01-01T09:00:00Z" }
nodes:
  audio:
    type: zoom.create_meeting
    on_error: continue
    with: { topic: Loud, settings: { audio: "{{ inputs.audio }}" } }
  passcode:
    type: zoom.update_meeting
    on_error: continue
    with: { meeting_id: 12345678901, password: "{{ inputs.passcode }}" }
  page:
    type: zoom.list_meetings
    on_error: continue
    with: { page_size: "{{ inputs.page }}" }
  meeting_id:
    type: zoom.delete_meeting
    on_error: continue
    with: { meeting_id: "{{ inputs.id }}" }
  past:
    type: zoom.create_meeting
    on_error: continue
    with: { topic: Old, start_time: "{{ inputs.start }}" }
)");
  for (const char* node : {"audio", "passcode", "page", "meeting_id", "past"}) {
    CAPTURE(node);
    const Value entry = node_result(result, node);
    CHECK(entry["status"] == Value("failed"));
    CHECK(entry["category"] == Value("invalid_input"));
  }
  CHECK(contains(node_result(result, "audio")["message"], "settings.audio"));
  CHECK(contains(node_result(result, "audio")["message"], "both, telephony, voip"));
  CHECK(contains(node_result(result, "passcode")["message"], "password"));
  CHECK(contains(node_result(result, "page")["message"], "page_size"));
  CHECK(contains(node_result(result, "meeting_id")["message"], "meeting_id"));
  CHECK(contains(node_result(result, "past")["message"], "is in the past"));
  CHECK(emulator.api_requests() == api_before); // nothing reached Zoom
  CHECK(emulator.requests("POST /oauth/token") == tokens_before);
}

TEST_CASE("a missing scope names the scope and says to reconnect") {
  Emulator emulator({"--auto-approve", "--client-id", client_id, "--client-secret", client_secret,
                     "--client-scopes",
                     "meeting:write:meeting meeting:read:meeting meeting:update:meeting "
                     "meeting:read:list_meetings user:read:user"});
  Workspace workspace;
  const CliResult connected = workspace.connect(emulator, "narrow");
  REQUIRE_MESSAGE(connected.exit_code == 0, connected.describe());
  // The connect summary already says what the grant lacks.
  CHECK(connected.out.find("missing scopes: meeting:delete:meeting (zoom.delete_meeting)") !=
        std::string::npos);
  const CliResult run = workspace.run(R"(version: 1
name: scope
nodes:
  created: { type: zoom.create_meeting, with: { topic: Cannot delete } }
  deleted: { type: zoom.delete_meeting, with: { meeting_id: "{{ created.id }}" } }
)");
  CHECK(run.exit_code == 1);
  const Value deleted = node_result(run.json(), "deleted");
  CHECK(deleted["status"] == Value("failed"));
  CHECK(deleted["category"] == Value("permission"));
  CAPTURE(deleted["message"]);
  CHECK(contains(deleted["message"], "lacks a scope"));
  CHECK(contains(deleted["message"], "meeting:delete:meeting"));
  CHECK(contains(deleted["message"], "code 4711"));
  CHECK(contains(deleted["message"], "sluice connect zoom --reconnect --name narrow"));
  CHECK(emulator.requests("DELETE /v2/meetings/{meetingId}") == 1); // not retried
}

TEST_CASE("Zoom's daily create limit fails at once and says when it resets") {
  Emulator emulator({"--auto-approve", "--plan", "business"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  std::string hundred = "[";
  for (int i = 0; i < 100; ++i)
    hundred.append(i ? "," : "").append(std::to_string(i));
  hundred += "]";
  const auto started = std::chrono::steady_clock::now();
  const CliResult run = workspace.run(R"(version: 1
name: daily
inputs:
  items: { type: array }
nodes:
  bulk:
    type: zoom.create_meeting
    for_each: "{{ inputs.items }}"
    concurrency: 10
    with: { topic: "Bulk {{ item }}" }
  one_more:
    type: zoom.create_meeting
    needs: [bulk]
    with: { topic: One too many }
)",
                                      {"--input", "items=" + hundred});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(run.exit_code == 1);
  const Value result = run.json();
  CHECK(node_result(result, "bulk")["status"] == Value("succeeded"));
  const Value one_more = node_result(result, "one_more");
  CHECK(one_more["status"] == Value("failed"));
  CHECK(one_more["category"] == Value("rate_limited"));
  CAPTURE(one_more["message"]);
  CHECK(contains(one_more["message"], "daily limit"));
  CHECK(contains(one_more["message"], "resets at " + next_utc_midnight()));
  CHECK(one_more["attempts"] == Value(1));
  // Not waited out: the limit lasts until midnight UTC.
  CHECK(one_more["duration_ms"].as_double() < 5000);
  CHECK(elapsed < std::chrono::seconds(60));
  CHECK(emulator.counters()["meetings_created"] == Value(100));
  // 100 made, one refused for the day (and any per-second 429s the bulk waited out).
  CHECK(emulator.requests("POST /v2/users/{userId}/meetings") >= 101);
}

TEST_CASE("without `connection`, two stored connections are listed") {
  Emulator emulator({"--auto-approve"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "alpha").exit_code == 0);
  REQUIRE(workspace.connect(emulator, "beta", {"--account-id", "emulator-account"}).exit_code == 0);
  const std::int64_t api_before = emulator.api_requests();
  const CliResult run = workspace.run(R"(version: 1
name: which
nodes:
  me: { type: zoom.get_user, on_error: continue }
  unknown: { type: zoom.get_user, on_error: continue, with: { connection: gamma } }
)");
  REQUIRE_MESSAGE(run.exit_code == 0, run.describe());
  const Value result = run.json();
  const Value me = node_result(result, "me");
  CHECK(me["category"] == Value("invalid_input"));
  CAPTURE(me["message"]);
  CHECK(contains(me["message"], "several Zoom connections are stored (alpha, beta)"));
  CHECK(contains(me["message"], "connection"));
  const Value unknown = node_result(result, "unknown");
  CAPTURE(unknown["message"]);
  CHECK(contains(unknown["message"], "gamma"));
  CHECK(emulator.api_requests() == api_before);

  const CliResult chosen = workspace.run(R"(version: 1
name: chosen
nodes:
  me: { type: zoom.get_user, with: { connection: beta } }
outputs:
  email: "{{ me.email }}"
)");
  REQUIRE_MESSAGE(chosen.exit_code == 0, chosen.describe());
  CHECK(chosen.json()["outputs"]["email"] == Value("emulator.user@example.com"));
}

TEST_CASE("Zoom's permission and state refusals: not the host, not in the account, in progress") {
  // The emulator has no second host or running meetings, so Zoom's answers (docs/zoom-api.md §3)
  // are injected on a meeting that exists.
  Emulator emulator({"--auto-approve", "--plan", "business"});
  Workspace workspace;
  REQUIRE(workspace.connect(emulator, "demo").exit_code == 0);
  const Value created = run_ok(workspace, R"(version: 1
nodes:
  create: { type: zoom.create_meeting, with: { topic: Someone else's } }
outputs:
  id: "{{ create.id }}"
)");
  const std::string id = std::to_string(created["outputs"]["id"].as_int());
  emulator.set_faults(
      R"([{"kind":"status","method":"PATCH","path":"/v2/meetings","times":1,"status":400,)"
      R"("code":3003,"message":"You are not the meeting host."},)"
      R"({"kind":"status","method":"GET","path":"/v2/meetings","times":1,"status":400,)"
      R"("code":1010,"message":"User does not belong to this account."},)"
      R"({"kind":"status","method":"DELETE","path":"/v2/meetings","times":1,"status":400,)"
      R"("code":3002,"message":"Sorry, you cannot delete this meeting since it is in progress."}])");
  const Value result = run_ok(workspace, R"(version: 1
nodes:
  rename:
    type: zoom.update_meeting
    on_error: continue
    with: { meeting_id: )" + id + R"(, topic: Mine now }
  read:
    type: zoom.get_meeting
    on_error: continue
    needs: [rename]
    with: { meeting_id: )" + id + R"( }
  remove:
    type: zoom.delete_meeting
    on_error: continue
    needs: [read]
    with: { meeting_id: )" + id + R"( }
)");
  const Value rename = node_result(result, "rename");
  CHECK(rename["category"] == Value("permission"));
  CHECK(contains(rename["message"], "not the meeting's host"));
  CHECK(contains(rename["message"], "code 3003"));
  const Value read = node_result(result, "read");
  CHECK(read["category"] == Value("permission"));
  CHECK(contains(read["message"], "not in this Zoom account"));
  CHECK(contains(read["message"], "code 1010"));
  const Value remove = node_result(result, "remove");
  CHECK(remove["category"] == Value("conflict"));
  CHECK(contains(remove["message"], "in progress"));
  CHECK(contains(remove["message"], "code 3002"));
  // Refusals are answers, not lost requests: nothing was sent twice.
  CHECK(emulator.requests("PATCH /v2/meetings/{meetingId}") == 1);
  CHECK(emulator.requests("DELETE /v2/meetings/{meetingId}") == 1);
  CHECK(emulator.counters()["meetings_deleted"] == Value(0));
}

TEST_CASE("plain http to a host that is not loopback needs --allow-insecure-http") {
  Workspace workspace;
  // 192.0.2.1 is TEST-NET-1: nothing answers there, and nothing must be sent without the
  // opt-in (the refusal comes before any connection attempt).
  const std::vector<std::string> arguments = {"connect",          "zoom",
                                              "--name",           "lan",
                                              "--client-id",      "id",
                                              "--account-id",     "account",
                                              "--api-base-url",   "http://192.0.2.1/v2",
                                              "--oauth-base-url", "http://192.0.2.1"};
  const CliResult refused = workspace.sluice(arguments, {"SLUICE_ZOOM_CLIENT_SECRET=secret"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err.find("--api-base-url http://192.0.2.1/v2 is plain http") != std::string::npos);
  CHECK(refused.err.find("--allow-insecure-http") != std::string::npos);
  CHECK(refused.err.find("connect failed") == std::string::npos); // nothing was attempted
}
