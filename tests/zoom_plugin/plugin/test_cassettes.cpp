// Cassettes end to end: `sluice run --record` of the Zoom pipelines against the real emulator,
// then `sluice test` replaying them with the emulator stopped and no connection store; a
// cassette that no longer matches, one left unused, a stale one, and the writer refusing a
// secret that redaction could not reach (an embedding application, in-process).

#include "plugin_test_support.hpp"

#include <sluice/cassette.hpp>
#include <sluice/engine.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace sluice;
using namespace sluice::zoom::plugin_test;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

// Replaces the first `from` in `file` by `to`; fails the test when there is none.
void edit(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = read_file(file);
  const std::size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from << " not in " << file);
  text.replace(at, from.size(), to);
  write_file(file, text);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("record the Zoom pipelines from the emulator, replay them with it stopped") {
  Workspace workspace;
  const fs::path dir = workspace.directory();
  for (const char* name : {"zoom_meeting_lifecycle.yaml", "zoom_cleanup.yaml"})
    fs::copy_file(fs::path(SLUICE_SOURCE_DIR) / "pipelines" / name, dir / name);
  const fs::path cassettes = dir / "cassettes";
  std::string meeting_id;
  {
    Emulator emulator({"--auto-approve", "--plan", "business"});
    const CliResult connected = workspace.connect(emulator, "demo");
    REQUIRE_MESSAGE(connected.exit_code == 0, connected.describe());
    const CliResult lifecycle =
        workspace.sluice({"run", (dir / "zoom_meeting_lifecycle.yaml").string(), "--record",
                          cassettes.string(), "--input", "topic=Recorded", "--json"});
    REQUIRE_MESSAGE(lifecycle.exit_code == 0, lifecycle.describe());
    meeting_id = lifecycle.json()["outputs"]["meeting_id"].to_text();
    CHECK(has(lifecycle.err, "recorded 6 HTTP exchanges"));

    const CliResult made = workspace.run(R"(version: 1
name: two
nodes:
  a: { type: zoom.create_meeting, with: { topic: Bulk demo 1, start_time: "2031-05-01T10:00:00Z" } }
  b: { type: zoom.create_meeting, with: { topic: Bulk demo 2, start_time: "2031-05-02T10:00:00Z" } }
)");
    REQUIRE_MESSAGE(made.exit_code == 0, made.describe());
    const CliResult cleanup =
        workspace.sluice({"run", (dir / "zoom_cleanup.yaml").string(), "--record",
                          cassettes.string(), "--input", "prefix=Bulk demo"});
    REQUIRE_MESSAGE(cleanup.exit_code == 0, cleanup.describe());
    CHECK(emulator.counters()["meetings_deleted"] == Value(3));
  } // the emulator stops here

  // No token, client secret or key in anything the recordings wrote.
  for (const auto& entry : fs::directory_iterator(cassettes))
    workspace.check_no_secrets_in(read_file(entry.path()), entry.path().string());

  const std::string no_store = (dir / "no-such-dir" / "credentials.db").string();
  CliResult replay = workspace.sluice({"test", cassettes.string(), "--credentials", no_store});
  REQUIRE_MESSAGE(replay.exit_code == 0, replay.describe());
  CHECK(has(replay.out, "2 passed, 0 failed"));
  CHECK_FALSE(fs::exists(no_store));

  SUBCASE("expect: calls, in order and in any order") {
    // The case of the scaffold (its pinned clock, its cassette), with `calls` expected too.
    const std::string scaffold = read_file(cassettes / "zoom_meeting_lifecycle.test.yaml");
    const std::string m = "/v2/meetings/" + meeting_id;
    const auto check_calls = [&](const std::string& calls) {
      write_file(cassettes / "calls.test.yaml", scaffold + "      calls: " + calls + "\n");
      return workspace.sluice(
          {"test", (cassettes / "calls.test.yaml").string(), "--credentials", no_store});
    };
    const std::string swapped = "POST /v2/users/me/meetings, GET " + m + ", PATCH " + m +
                                ", GET /v2/users/me/meetings, GET " + m + ", DELETE " + m;
    // The rename reads the meeting back before the list: out of order, this fails.
    replay = check_calls("[" + swapped + "]");
    CHECK_MESSAGE(replay.exit_code == 1, replay.describe());
    CHECK(has(replay.out, "calls:\n"));
    CHECK(has(replay.out, " GET /v2/users/me/meetings\n"));
    replay = check_calls("{ any_order: [" + swapped + "] }");
    CHECK_MESSAGE(replay.exit_code == 0, replay.describe());
    replay = check_calls("[POST /v2/users/me/meetings, GET " + m + ", PATCH " + m + ", GET " + m +
                         ", GET /v2/users/me/meetings, DELETE " + m + "]");
    CHECK_MESSAGE(replay.exit_code == 0, replay.describe());
    replay = check_calls("[POST https://zoom.us/v2/users/me/meetings]");
    CHECK(replay.exit_code == 2);
    CHECK_MESSAGE(has(replay.err, "a call must read \"METHOD /path\""), replay.describe());
  }

  SUBCASE("a request the recording does not hold fails the case and names the nearest") {
    edit(cassettes / "zoom_meeting_lifecycle.test.yaml", "{\"topic\":\"Recorded\"}",
         "{\"topic\":\"Renamed\"}");
    replay = workspace.sluice({"test", (cassettes / "zoom_meeting_lifecycle.test.yaml").string(),
                               "--credentials", no_store});
    CHECK(replay.exit_code == 1);
    INFO(replay.describe());
    CHECK(has(replay.out, "request POST /v2/users/me/meetings (node 'create') matches no "
                          "recorded exchange; the nearest is exchange 0, POST "
                          "/v2/users/me/meetings, but its body differs"));
    CHECK(has(replay.out, "recorded exchange 0, POST /v2/users/me/meetings (node 'create'), was "
                          "not used"));
  }

  SUBCASE("a stale cassette: the pipeline or a plugin changed; --rerecord records it again") {
    std::ofstream(dir / "zoom_cleanup.yaml", std::ios::app) << "# edited\n";
    edit(cassettes / "zoom_cleanup.cassette.json", "\"name\": \"zoom\",\n      \"version\": \"",
         "\"name\": \"zoom\",\n      \"version\": \"0.0.0-old");
    replay = workspace.sluice(
        {"test", (cassettes / "zoom_cleanup.test.yaml").string(), "--credentials", no_store});
    CHECK(replay.exit_code == 1);
    CHECK_MESSAGE(has(replay.out, "zoom_cleanup.cassette.json is stale: the pipeline changed "
                                  "since it was recorded; plugin 'zoom' was 0.0.0-old"),
                  replay.describe());
    CHECK(has(replay.out, ". Record it again: sluice run "));

    // Against a new emulator (the connection follows it), the case runs for real and its
    // cassette is written anew: no longer stale. Nothing matches "Bulk demo" there, so the
    // outputs recorded before now differ, and say so.
    Emulator fresh({"--auto-approve", "--plan", "business"});
    const CliResult reconnected = workspace.connect(fresh, "demo", {"--reconnect"});
    REQUIRE_MESSAGE(reconnected.exit_code == 0, reconnected.describe());
    replay =
        workspace.sluice({"test", (cassettes / "zoom_cleanup.test.yaml").string(), "--rerecord"});
    CHECK(fresh.requests("GET /v2/users/{userId}/meetings") == 1);
    CHECK(has(replay.out, "outputs.matched"));
    const std::string rewritten = read_file(cassettes / "zoom_cleanup.cassette.json");
    workspace.check_no_secrets_in(rewritten, "the cassette recorded again");
    CHECK_FALSE(has(rewritten, "0.0.0-old"));
    replay = workspace.sluice(
        {"test", (cassettes / "zoom_cleanup.test.yaml").string(), "--credentials", no_store});
    CHECK_FALSE(has(replay.out, "is stale"));
  }

  SUBCASE("a damaged cassette is the test file's problem, with a position") {
    edit(cassettes / "zoom_cleanup.cassette.json", "\"method\": \"GET\"", "\"method\": 7");
    replay = workspace.sluice(
        {"test", (cassettes / "zoom_cleanup.test.yaml").string(), "--credentials", no_store});
    CHECK(replay.exit_code == 2);
    CHECK_MESSAGE(has(replay.err, "zoom_cleanup.test.yaml:"), replay.describe());
    CHECK(has(replay.err, "exchanges[0].request.method: expected a string"));
  }
}

TEST_CASE("the cassette writer refuses a secret that redaction did not reach") {
  Emulator emulator({"--auto-approve", "--plan", "business"});
  Workspace workspace;
  const CliResult connected = workspace.connect(emulator, "demo");
  REQUIRE_MESSAGE(connected.exit_code == 0, connected.describe());

  EngineOptions options;
  options.credentials = workspace.open_store();
  Engine engine(std::move(options));
  // A careless node: sends the connection's token in a header of its own without listing it
  // in HttpRequest::secrets, so the HTTP seam cannot know to redact it.
  NodeType leaky;
  leaky.spec.type = "test.leaky";
  leaky.run_async = [url = emulator.url()](Context& ctx) -> boost::asio::awaitable<Value> {
    const std::optional<Connection> connection = ctx.credentials().find("demo");
    HttpRequest request;
    request.method = "GET";
    request.url = url + "/_emulator/counters";
    request.headers.push_back({"X-Token", connection->access_token.reveal()});
    const HttpResponse response = co_await ctx.http().send(std::move(request));
    co_return Object{{"status", response.status}};
  };
  engine.registrar().add(std::move(leaky));
  const Pipeline pipeline =
      engine.load_string("version: 1\nname: leak\nnodes:\n  leak: { type: test.leaky }\n");

  auto recorder = std::make_shared<CassetteRecorder>(
      [&engine]() -> CredentialStore& { return engine.credentials(); });
  RunOptions run;
  run.http_interceptor = recorder;
  run.credentials = recorder->credentials();
  const RunResult result = engine.run(pipeline, run);
  REQUIRE_MESSAGE(result.ok(), result.error);

  const Cassette cassette = recorder->take();
  REQUIRE(cassette.exchanges.size() == 1);
  REQUIRE(cassette.connections.size() == 1);
  CHECK(cassette.connections[0].name == "demo");
  const fs::path file = workspace.directory() / "leak.cassette.json";
  try {
    write_cassette(cassette, file, recorder->secrets());
    FAIL("the cassette was written with a token in it");
  } catch (const CassetteError& e) {
    const std::string message = e.what();
    CHECK(has(message, "exchanges[0].request.headers 'X-Token' holds a secret"));
    workspace.check_no_secrets_in(message, "the writer's error");
  }
  CHECK_FALSE(fs::exists(file));
  CHECK_FALSE(fs::exists(file.string() + ".partial"));

  // The same exchange with the header dropped is written, and reads back the same.
  Cassette clean = cassette;
  clean.exchanges[0].request.headers.clear();
  write_cassette(clean, file, recorder->secrets());
  const Cassette read = read_cassette(file);
  REQUIRE(read.exchanges.size() == 1);
  CHECK(read.exchanges[0].request.url == clean.exchanges[0].request.url);
  CHECK(read.exchanges[0].response.status == 200);
  CHECK(read.exchanges[0].response.body == clean.exchanges[0].response.body);
  CHECK(read.connections[0].extra == cassette.connections[0].extra);
}
