// The real `sluice serve` binary on 127.0.0.1, driven over HTTP: every API route and its
// errors, tokens, a SIGKILL while runs are queued and running followed by a restart (every
// accepted run accounted for, none lost or run twice), a graceful SIGTERM, and one server per
// run store.

#include "serve_fixture.hpp"

using namespace serve_test;

TEST_CASE("webhooks: open, bearer and signed; inputs from body, query and headers; bad, stale "
          "and replayed deliveries refused") {
  Site site;
  site.add("hook",
           "version: 1\nname: hook\n"
           "inputs:\n"
           "  who: { type: string, default: nobody }\n"
           "  count: { type: integer, default: 0 }\n"
           "  team: { type: string, default: none }\n"
           "nodes:\n"
           "  say: { type: core.template, with: { template: \"{{ inputs.who }} {{ inputs.count }} "
           "{{ inputs.team }}\" } }\n"
           "outputs: { said: \"{{ say.text }}\" }\n"
           "triggers:\n"
           "  - webhook: { path: /hooks/open, auth: none, wait: 10s }\n"
           "  - webhook: { path: /hooks/bearer, auth: { bearer: { connection: bearer-secret } }, "
           "wait: 10s }\n"
           "  - webhook: { path: /hooks/signed, auth: { hmac: { connection: hmac-secret, "
           "tolerance: 1m } }, headers: { X-Team: team }, wait: 10s }\n"
           "  - webhook: { path: /hooks/later, auth: none }\n");
  const std::string bearer = "a-bearer-secret-of-some-length";
  site.sluice({"secrets", "set", "bearer-secret"}, bearer + "\n");
  const std::string out = site.sluice({"secrets", "set", "hmac-secret", "--generate"});
  const std::string hmac = out.substr(0, out.find('\n'));
  CHECK(hmac.size() == 64);
  const std::string token = site.token();
  Server server(site);
  HttpClient client(server.port());
  const auto post = [&](const std::string& target, const std::string& body,
                        const std::map<std::string, std::string>& headers = {}) {
    return client.request("POST", target, body, headers);
  };

  SUBCASE("open: the body's inputs, the query's parsed by type; GET is not a delivery") {
    const HttpResult done = post("/hooks/open?count=3", R"({"who":"Ada"})");
    CHECK(done.status == 200);
    CHECK(done.json()["outputs"]["said"] == Value("Ada 3 none"));
    CHECK(done.json()["trigger"] == Value("webhook /hooks/open"));
    CHECK(post("/hooks/later", "").status == 202); // no wait: accepted
    CHECK(client.request("GET", "/hooks/open").status == 405);
    CHECK(post("/hooks/nope", "").status == 404);
    const HttpResult bad = post("/hooks/open?count=many", "");
    CHECK(bad.status == 400);
    CHECK(bad.json()["error"].to_text().find("count") != std::string::npos);
    CHECK(post("/hooks/open", R"({"count":"many"})").status == 400);
    CHECK(post("/hooks/open", R"({"whom":"x"})").status == 400);
    CHECK(post("/hooks/open", "[1,2]").status == 400);
  }

  SUBCASE("bearer: only the stored secret lets it in") {
    CHECK(post("/hooks/bearer", "").status == 401);
    CHECK(post("/hooks/bearer", "", {{"Authorization", "Bearer " + bearer + "x"}}).status == 401);
    CHECK(post("/hooks/bearer", "", {{"Authorization", "Bearer " + token}}).status == 401);
    const HttpResult done = post("/hooks/bearer", "", {{"Authorization", "Bearer " + bearer}});
    CHECK(done.status == 200);
    CHECK(done.json()["outputs"]["said"] == Value("nobody 0 none"));
  }

  SUBCASE("signed: a good signature once; replays, stale times and bad signatures refused") {
    const std::string body = R"({"who":"Grace","count":2})";
    const std::int64_t now = unix_now();
    const std::map<std::string, std::string> headers{{"X-Signature", signature(hmac, now, body)},
                                                     {"X-Team", "blue"}};
    const HttpResult done = post("/hooks/signed", body, headers);
    CHECK(done.status == 200);
    CHECK(done.json()["outputs"]["said"] == Value("Grace 2 blue"));
    const HttpResult replay = post("/hooks/signed", body, headers);
    CHECK(replay.status == 409);

    const HttpResult stale =
        post("/hooks/signed", body, {{"X-Signature", signature(hmac, now - 120, body)}});
    CHECK(stale.status == 401);
    CHECK(stale.json()["error"].to_text().find("more than 60 s") != std::string::npos);
    const HttpResult tampered = post("/hooks/signed", R"({"who":"Mallory","count":2})",
                                     {{"X-Signature", signature(hmac, now, body)}});
    CHECK(tampered.status == 401);
    CHECK(tampered.json()["error"].to_text().find("does not match") != std::string::npos);
    CHECK(post("/hooks/signed", body, {{"X-Signature", signature("wrong", now, body)}}).status ==
          401);
    CHECK(post("/hooks/signed", body, {{"X-Signature", "v1=abc"}}).status == 401);
    CHECK(post("/hooks/signed", body).status == 401);
    // None of the refused ones ran, and no answer shows the secret.
    CHECK(client.api("GET", "/v1/runs", token).json()["runs"].size() == 1);
    for (const HttpResult* answer : {&replay, &stale, &tampered})
      CHECK(answer->body.find(hmac) == std::string::npos);
  }

  SUBCASE("a deleted secret closes its webhook") {
    site.sluice({"secrets", "delete", "bearer-secret"});
    const HttpResult closed = post("/hooks/bearer", "", {{"Authorization", "Bearer " + bearer}});
    CHECK(closed.status == 503);
    CHECK(closed.json()["error"].to_text().find("not stored on this server") != std::string::npos);
  }
  CHECK(server.log().find(hmac) == std::string::npos);
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("the API: health, tokens, pipelines, starting, reading, listing and cancelling runs") {
  Site site;
  site.add("hello", hello);
  site.add("slow", slow("slow", "triggers:\n  - schedule: { cron: \"0 9 * * 1-5\", timezone: "
                                "Europe/Berlin }\n"));
  const std::string token = site.token();
  CHECK(token.starts_with("sluice_"));
  Server server(site);
  HttpClient client(server.port());

  SUBCASE("health is open, the rest needs a known token") {
    CHECK(client.request("GET", "/healthz").status == 200);
    CHECK(client.request("GET", "/readyz").json()["status"] == Value("ready"));
    const HttpResult anonymous = client.request("GET", "/v1/pipelines");
    CHECK(anonymous.status == 401);
    CHECK(anonymous.header("www-authenticate") == "Bearer");
    CHECK(anonymous.json()["error"].to_text().find("sluice tokens create") != std::string::npos);
    CHECK(client.api("GET", "/v1/pipelines", "sluice_wrong").status == 401);
    const std::string other = site.token();
    CHECK(client.api("GET", "/v1/pipelines", other).status == 200);
    site.sluice({"tokens", "delete", "tests-1"});
    CHECK(client.api("GET", "/v1/pipelines", other).status == 401); // at once
    CHECK(site.sluice({"tokens", "list"}) == "tests-0\n");
    CHECK(client.request("GET", "/nowhere").status == 404);
  }

  SUBCASE("pipelines are listed with their schedules' next fire times") {
    const Value listed = client.api("GET", "/v1/pipelines", token).json()["pipelines"];
    REQUIRE(listed.size() == 2);
    CHECK(listed[0]["name"] == Value("hello"));
    CHECK(listed[1]["name"] == Value("slow"));
    CHECK(listed[1]["schedules"][0]["timezone"] == Value("Europe/Berlin"));
    CHECK(listed[1]["schedules"][0]["next"].to_text().ends_with(":00:00Z"));
    CHECK(listed[0]["last_run"].is_null());
  }

  SUBCASE("a run with ?wait= answers with its outputs; without, 202 and where to look") {
    const HttpResult done = client.api("POST", "/v1/pipelines/hello/runs?wait=10", token,
                                       R"({"inputs":{"who":"Ada"}})");
    CHECK(done.status == 200);
    CHECK(done.json()["status"] == Value("succeeded"));
    CHECK(done.json()["outputs"]["message"] == Value("Hello Ada"));
    CHECK(done.json()["trigger"] == Value("api"));
    CHECK(done.json()["pipeline_hash"].to_text().size() == 64);
    // Answered from memory, the same as the store has it.
    CHECK(client.api("GET", "/v1/runs/" + done.json()["id"].to_text(), token).json() ==
          done.json());

    const HttpResult accepted =
        client.api("POST", "/v1/pipelines/slow/runs", token, R"({"inputs":{"ms":300}})");
    CHECK(accepted.status == 202);
    const std::string id = accepted.json()["id"].to_text();
    CHECK(accepted.header("location") == "/v1/runs/" + id);
    // The run as it was accepted: what the store had at that moment.
    const Value as_accepted = accepted.json();
    CHECK(as_accepted["status"] == Value("running"));
    CHECK(as_accepted["started_at"] == as_accepted["accepted_at"]);
    const HttpResult finished = wait_until_final(client, token, id);
    CHECK(finished.json()["accepted_at"] == as_accepted["accepted_at"]);
    CHECK(finished.json()["started_at"] == as_accepted["started_at"]);
    CHECK(finished.json()["status"] == Value("succeeded"));
    CHECK(finished.json()["nodes"][0]["id"] == Value("wait"));
    CHECK(client.api("GET", "/v1/runs/nope", token).status == 404);
  }

  SUBCASE("bad requests say what is wrong") {
    CHECK(client.api("POST", "/v1/pipelines/nobody/runs", token).status == 404);
    const HttpResult not_json = client.api("POST", "/v1/pipelines/hello/runs", token, "{nope");
    CHECK(not_json.status == 400);
    CHECK(not_json.json()["error"].to_text().starts_with("the body is not JSON"));
    const HttpResult bad_input =
        client.api("POST", "/v1/pipelines/hello/runs", token, R"({"inputs":{"who":3}})");
    CHECK(bad_input.status == 400);
    CHECK(bad_input.json()["error"].to_text().find("who") != std::string::npos);
    CHECK(client.api("POST", "/v1/pipelines/hello/runs", token, R"({"input":{}})").status == 400);
    CHECK(client.api("POST", "/v1/pipelines/hello/runs?wait=forever", token).status == 400);
    CHECK(client.api("GET", "/v1/runs?status=happy", token).status == 400);
    CHECK(client.api("GET", "/v1/runs?limit=0", token).status == 400);
    CHECK(client.api("DELETE", "/v1/runs", token).status == 404);
    const HttpResult huge =
        client.api("POST", "/v1/pipelines/hello/runs", token,
                   R"({"inputs":{"who":")" + std::string(2 << 20, 'x') + "\"}}");
    CHECK((huge.status == 413 || huge.connection_lost));
    // Nothing of those was recorded.
    HttpClient fresh(server.port());
    CHECK(fresh.api("GET", "/v1/runs", token).json()["runs"].size() == 0);
  }

  SUBCASE("listing pages through runs, newest first, by pipeline and status") {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i)
      ids.push_back(
          client.api("POST", "/v1/pipelines/hello/runs?wait=10", token).json()["id"].to_text());
    client.api("POST", "/v1/pipelines/slow/runs?wait=10", token);
    std::vector<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 5; ++page) {
      const Value body =
          client
              .api("GET",
                   "/v1/runs?pipeline=hello&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
                   token)
              .json();
      for (const Value& run : body["runs"].as_array())
        seen.push_back(run["id"].to_text());
      if (body["next_cursor"].is_null())
        break;
      cursor = body["next_cursor"].to_text();
    }
    CHECK(seen == std::vector<std::string>(ids.rbegin(), ids.rend()));
    CHECK(client.api("GET", "/v1/runs?status=succeeded", token).json()["runs"].size() == 6);
    CHECK(client.api("GET", "/v1/runs?status=failed", token).json()["runs"].size() == 0);
  }

  SUBCASE("cancelling a running run") {
    const std::string id =
        client.api("POST", "/v1/pipelines/slow/runs", token, R"({"inputs":{"ms":30000}})")
            .json()["id"]
            .to_text();
    const HttpResult cancel = client.api("POST", "/v1/runs/" + id + "/cancel", token);
    CHECK(cancel.status == 200);
    CHECK(wait_until_final(client, token, id).json()["status"] == Value("cancelled"));
    CHECK(client.api("POST", "/v1/runs/nope/cancel", token).status == 404);
  }
  CHECK(server.stop(SIGTERM) == 0);
}

TEST_CASE("SIGKILL with runs queued and running, then a restart: every run accounted for once") {
  for (const bool rerun : {false, true}) {
    CAPTURE(rerun);
    Site site;
    site.add("one", slow("one", std::string("concurrency: { limit: 1 }\n") +
                                    (rerun ? "on_restart: rerun\n" : "")));
    const std::string token = site.token();
    std::vector<std::string> ids;
    {
      Server server(site);
      HttpClient client(server.port());
      for (int i = 0; i < 3; ++i) {
        const HttpResult accepted =
            client.api("POST", "/v1/pipelines/one/runs", token, R"({"inputs":{"ms":3000}})");
        REQUIRE(accepted.status == 202);
        ids.push_back(accepted.json()["id"].to_text());
      }
      CHECK(client.api("GET", "/v1/runs/" + ids[0], token).json()["status"] == Value("running"));
      CHECK(client.api("GET", "/v1/runs/" + ids[2], token).json()["status"] == Value("queued"));
      CHECK(server.stop(SIGKILL) == 128 + SIGKILL);
    }
    // With no server: `sluice runs` reads the store; a queued run can be cancelled there, a
    // running one only by its server.
    const Value listed = Value::parse_json(site.sluice({"runs", "list", "--json"}));
    CHECK(listed.size() == 3);
    CHECK(site.sluice({"runs", "show", ids[0]}).find("status    running") != std::string::npos);
    CHECK(site.sluice_status({"runs", "cancel", ids[0]}) == 2);
    CHECK(site.sluice({"runs", "cancel", ids[2]}) == "run " + ids[2] + ": cancelled\n");
    Server server(site);
    HttpClient client(server.port());
    for (const std::string& id : ids)
      wait_until_final(client, token, id);
    const Value runs = client.api("GET", "/v1/runs?limit=100", token).json()["runs"];
    std::map<std::string, Value> by_id;
    for (const Value& run : runs.as_array())
      by_id[run["id"].to_text()] = run;
    CHECK(by_id[ids[0]]["status"] == Value("interrupted"));
    CHECK(by_id[ids[1]]["status"] == Value("succeeded"));
    CHECK(by_id[ids[2]]["status"] == Value("cancelled")); // not run after the restart
    if (rerun) {
      REQUIRE(runs.size() == 4);
      const Value& again = runs[0]; // newest
      CHECK(again["rerun_of"] == Value(ids[0]));
      CHECK(wait_until_final(client, token, again["id"].to_text()).json()["status"] ==
            Value("succeeded"));
    } else {
      CHECK(runs.size() == 3);
    }
    CHECK(server.stop(SIGTERM) == 0);
  }
}

TEST_CASE("SIGTERM: new runs refused, running ones cancelled after the grace, exit 0") {
  Site site;
  site.add("slow", slow("slow", ""));
  const std::string token = site.token();
  Server server(site);
  HttpClient client(server.port());
  const std::string id =
      client.api("POST", "/v1/pipelines/slow/runs", token, R"({"inputs":{"ms":60000}})")
          .json()["id"]
          .to_text();
  const auto began = std::chrono::steady_clock::now();
  server.signal(SIGTERM);
  // Within the grace the run still goes, but the API takes nothing new: connections are
  // refused (or closed before an answer).
  const auto refused = [&] {
    try {
      HttpClient late(server.port());
      return late.api("POST", "/v1/pipelines/slow/runs", token).status == 0;
    } catch (const std::exception&) {
      return true; // connection refused
    }
  };
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    closed = refused();
    if (!closed)
      std::this_thread::sleep_for(5ms);
  }
  CHECK(closed);
  CHECK(server.stop(SIGTERM) == 0); // --grace 1; the second SIGTERM changes nothing
  CHECK(std::chrono::steady_clock::now() - began < 15s);
  CHECK(server.log().find("stopping: no new runs") != std::string::npos);
  Server again(site);
  HttpClient second(again.port());
  const Value run = second.api("GET", "/v1/runs/" + id, token).json();
  CHECK(run["status"] == Value("cancelled"));
  CHECK(again.stop(SIGINT) == 0);
}

TEST_CASE("one server per run store: a second one on the same store says so and exits") {
  Site site;
  site.add("hello", hello);
  const std::string token = site.token();
  Server server(site);
  HttpClient client(server.port());
  const std::string id =
      client.api("POST", "/v1/pipelines/hello/runs?wait=10", token).json()["id"].to_text();
  // It waits for the first one to let go of the store's accept log (10 s), then gives up.
  const int status =
      site.sluice_status({"serve", (site.dir / "pipelines").string(), "--listen", "127.0.0.1:0"});
  const std::string said = read_all(site.dir / "cli.err");
  CAPTURE(said);
  CHECK(status != 0);
  CHECK(said.find("is in use by another `sluice serve`") != std::string::npos);
  CHECK(said.find("runs.db.accepts") != std::string::npos);
  // The first one never noticed (a new connection: it closed the idle one meanwhile).
  HttpClient again(server.port());
  CHECK(again.api("GET", "/v1/runs/" + id, token).json()["status"] == Value("succeeded"));
  CHECK(server.stop(SIGTERM) == 0);
  // Stopped cleanly, it leaves no accept log segment behind: every run is in the store.
  for (const auto& entry : fs::directory_iterator(site.dir / "data" / "runs.db.accepts"))
    CHECK(entry.path().filename() == "lock");
}
