// `sluice run --dry-run` of the Zoom pipelines in pipelines/, by the real CLI against the real
// emulator: the emulator's counters of created, updated and deleted meetings do not move, and
// the plan names the requests a real run would have sent.

#include "plugin_test_support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::zoom::plugin_test;

namespace {

const std::string lifecycle = SLUICE_SOURCE_DIR "/pipelines/zoom_meeting_lifecycle.yaml";
const std::string cleanup = SLUICE_SOURCE_DIR "/pipelines/zoom_cleanup.yaml";

// The emulator's counts of what changed.
std::vector<Value> changes(const Emulator& emulator) {
  const Value counters = emulator.counters();
  return {counters["meetings_created"], counters["meetings_updated"], counters["meetings_deleted"]};
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++count;
  return count;
}

} // namespace

TEST_CASE("a dry run of the Zoom pipelines changes no meeting and shows what it would send") {
  Emulator emulator({"--auto-approve", "--plan", "business"});
  Workspace workspace;
  const CliResult connected = workspace.connect(emulator, "demo");
  REQUIRE_MESSAGE(connected.exit_code == 0, connected.describe());
  const CliResult made = workspace.run(R"(version: 1
name: two
nodes:
  a: { type: zoom.create_meeting, with: { topic: Bulk demo 1, start_time: "2031-05-01T10:00:00Z" } }
  b: { type: zoom.create_meeting, with: { topic: Bulk demo 2, start_time: "2031-05-02T10:00:00Z" } }
outputs: { a: "{{ a.id }}", b: "{{ b.id }}" }
)");
  REQUIRE_MESSAGE(made.exit_code == 0, made.describe());
  const std::string a = made.json()["outputs"]["a"].to_text();
  const std::string b = made.json()["outputs"]["b"].to_text();
  const std::vector<Value> before = changes(emulator);
  const std::string meetings = emulator.api_base_url() + "/users/me/meetings";

  SUBCASE("the lifecycle: every request is shown, the unknown meeting id by name") {
    const std::int64_t reads = emulator.requests("GET /v2/meetings/{meetingId}");
    const std::int64_t lists = emulator.requests("GET /v2/users/{userId}/meetings");
    const CliResult plan = workspace.sluice({"run", lifecycle, "--dry-run"});
    REQUIRE_MESSAGE(plan.exit_code == 0, plan.describe());
    CHECK(plan.out.find("Dry run: nothing was changed.") != std::string::npos);
    CHECK(count_of(plan.out, "send POST " + meetings) == 1);
    CHECK(plan.out.find("\"topic\":\"Sluice demo meeting\"") != std::string::npos);
    // What needs the id that only the create would give is shown with the id as a name, in
    // the URL and in the body made from the create's outputs.
    const std::string meeting = emulator.api_base_url() + "/meetings/{create.id}";
    CHECK(count_of(plan.out, "send GET " + meeting + "\n") == 1);
    CHECK(count_of(plan.out, "send PATCH " + meeting + "\n") == 1);
    CHECK(count_of(plan.out, "send DELETE " + meeting) == 1);
    CHECK(plan.out.find("\"topic\":\"Sluice demo meeting (updated)\"") != std::string::npos);
    // The list after the rename would see the world the rename left: held back as well.
    CHECK(count_of(plan.out, "send GET " + meetings + "?type=upcoming") == 1);
    CHECK(plan.out.find("meeting_id: (known after a real run)") != std::string::npos);
    CHECK(plan.out.find("8000000000000000") == std::string::npos);
    CHECK(plan.out.find("sluice-unknown-") == std::string::npos);
    // Nothing that carries a stand-in reaches the emulator, reads neither.
    CHECK(emulator.requests("POST /v2/users/{userId}/meetings") == 2); // the two made above
    CHECK(emulator.requests("GET /v2/meetings/{meetingId}") == reads);
    CHECK(emulator.requests("GET /v2/users/{userId}/meetings") == lists);

    const CliResult json = workspace.sluice({"run", lifecycle, "--dry-run", "--json"});
    REQUIRE_MESSAGE(json.exit_code == 0, json.describe());
    const Value result = json.json();
    std::vector<std::string> sent;
    for (const Value& planned : result["planned"].as_array())
      sent.push_back(planned["node"].to_text() + " " + planned["method"].to_text());
    CHECK(sent == std::vector<std::string>{"create POST", "read GET", "rename PATCH",
                                           "upcoming GET", "delete DELETE"});
  }

  SUBCASE("cleanup: the list is read, each delete is shown and none is sent") {
    const CliResult plan =
        workspace.sluice({"run", cleanup, "--input", "prefix=Bulk demo", "--dry-run"});
    REQUIRE_MESSAGE(plan.exit_code == 0, plan.describe());
    CHECK(emulator.requests("GET /v2/users/{userId}/meetings") >= 1);
    CHECK(plan.out.find("send DELETE " + emulator.api_base_url() + "/meetings/" + a) !=
          std::string::npos);
    CHECK(plan.out.find("send DELETE " + emulator.api_base_url() + "/meetings/" + b) !=
          std::string::npos);
    CHECK(emulator.requests("DELETE /v2/meetings/{meetingId}") == 0);

    const CliResult json =
        workspace.sluice({"run", cleanup, "--input", "prefix=Bulk demo", "--dry-run", "--json"});
    REQUIRE_MESSAGE(json.exit_code == 0, json.describe());
    const Value result = json.json();
    CHECK(result["dry_run"] == Value("reads"));
    REQUIRE(result["planned"].size() == 2);
    for (const Value& planned : result["planned"].as_array()) {
      CHECK(planned["node"] == Value("delete"));
      CHECK(planned["method"] == Value("DELETE"));
    }
    CHECK(result["outputs"]["matched"].size() == 2);
    CHECK(result["unknown_outputs"] == Value(Array{Value("deleted")}));
  }

  SUBCASE("an expired token is refreshed for the reads: the credential layer's POST goes out") {
    const std::int64_t issued = emulator.tokens_issued();
    emulator.expire_tokens();
    const CliResult plan =
        workspace.sluice({"run", cleanup, "--input", "prefix=Bulk demo", "--dry-run"});
    REQUIRE_MESSAGE(plan.exit_code == 0, plan.describe());
    CHECK(emulator.tokens_issued() == issued + 1);
    CHECK(count_of(plan.out, "send DELETE ") == 2);
  }

  SUBCASE("offline: nothing reaches the emulator") {
    const std::int64_t requests = emulator.api_requests();
    const CliResult plan =
        workspace.sluice({"run", cleanup, "--input", "prefix=Bulk demo", "--dry-run=offline"});
    REQUIRE_MESSAGE(plan.exit_code == 0, plan.describe());
    CHECK(emulator.api_requests() == requests);
    CHECK(plan.out.find("Dry run (offline)") != std::string::npos);
    CHECK(plan.out.find("send GET " + meetings) != std::string::npos);
  }

  CHECK(changes(emulator) == before);
  workspace.check_no_secrets();
}
