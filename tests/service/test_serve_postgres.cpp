// The real `sluice serve` binary on a real PostgreSQL server: runs and API tokens live in the
// database (no run store file is made), two servers on one database see each other's runs,
// `sluice runs` and `sluice tokens` read the same database, /readyz tells when the database is
// gone and the server carries on when it is back, a password is never taken from the command
// line, and one server at a time fires the schedules.

#include "postgres_site.hpp"

#include <doctest/doctest.h>

#include <sstream>

using namespace serve_test;

namespace {

std::string run_hello(HttpClient& client, const std::string& token, const std::string& who) {
  const HttpResult accepted = client.api("POST", "/v1/pipelines/hello/runs?wait=10", token,
                                         Value(Object{{"inputs", Object{{"who", who}}}}).to_json());
  REQUIRE_MESSAGE(accepted.status == 200, accepted.body);
  CHECK(accepted.json()["outputs"]["message"].to_text() == "Hello " + who);
  return accepted.json()["id"].to_text();
}

} // namespace

TEST_CASE("serve on PostgreSQL: runs and tokens are in the database, shared by two servers") {
  PostgresSite site;
  site.add("hello", hello);
  const std::string token = site.token(); // written to the database by `sluice tokens`
  Server first(site);
  Server second(site);
  CHECK(first.log().find("runs and API tokens are kept in PostgreSQL at " + site.url) !=
        std::string::npos);
  HttpClient to_first(first.port());
  HttpClient to_second(second.port());
  const std::string id = run_hello(to_first, token, "Ada");
  // The other server knows the token and the run.
  const HttpResult seen = to_second.api("GET", "/v1/runs/" + id, token);
  REQUIRE_MESSAGE(seen.status == 200, seen.body);
  CHECK(seen.json()["status"].to_text() == "succeeded");
  CHECK(seen.json()["outputs"]["message"].to_text() == "Hello Ada");
  run_hello(to_second, token, "Grace");
  // So does the CLI, and nothing went to a run store file.
  const std::string listed = site.sluice({"runs", "list", "--json"});
  CHECK(listed.find(id) != std::string::npos);
  CHECK(listed.find("Hello Grace") != std::string::npos);
  CHECK_FALSE(fs::exists(site.dir / "data" / "runs.db"));
  CHECK(site.sluice({"tokens", "list"}).find("tests-0") != std::string::npos);
}

TEST_CASE("serve on PostgreSQL: /metrics gauges count the runs of every machine") {
  PostgresSite site;
  site.add("hello", hello);
  const std::string token = site.token();
  // Neither server runs anything: what they accept waits in the shared queue.
  Server first(site, {"--worker-runs", "0"});
  Server second(site, {"--worker-runs", "0"});
  HttpClient to_first(first.port());
  HttpClient to_second(second.port());
  for (int i = 0; i < 2; ++i) {
    const HttpResult accepted =
        to_first.api("POST", "/v1/pipelines/hello/runs", token,
                     Value(Object{{"inputs", Object{{"who", "Ada"}}}}).to_json());
    REQUIRE_MESSAGE(accepted.status == 202, accepted.body);
  }
  const auto gauge = [&](HttpClient& client, const std::string& series) {
    const std::string text = client.api("GET", "/metrics", token).body;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      if (line.starts_with(series + " "))
        return std::stod(line.substr(series.size() + 1));
    return -1.0;
  };
  CHECK(gauge(to_first, "sluice_runs_queued") == 2);
  CHECK(gauge(to_second, "sluice_runs_queued") == 2); // accepted by the other one
  CHECK(gauge(to_second, "sluice_runs_running") == 0);
}

TEST_CASE("serve on PostgreSQL: /readyz says when the database is gone; runs go on after") {
  PostgresSite site;
  site.add("hello", hello);
  const std::string token = site.token();
  Server server(site);
  HttpClient client(server.port());
  CHECK(client.request("GET", "/readyz").status == 200);
  run_hello(client, token, "before");

  postgres().crash();
  HttpResult ready;
  for (int i = 0; i < 100; ++i) { // the store looks at least every 2 s
    ready = client.request("GET", "/readyz");
    if (ready.status == 503)
      break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(ready.status == 503);
  CHECK(ready.body.find("the run store cannot be reached") != std::string::npos);
  CHECK(client.request("GET", "/healthz").status == 200); // alive, only not ready

  postgres().start();
  for (int i = 0; i < 100; ++i) {
    ready = client.request("GET", "/readyz");
    if (ready.status == 200)
      break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK(ready.status == 200);
  const std::string after = run_hello(client, token, "after");
  CHECK(client.api("GET", "/v1/runs/" + after, token).status == 200);
}

TEST_CASE("serve on PostgreSQL: a password on the command line is refused, and never shown") {
  Site site;
  const int status = site.sluice_status(
      {"runs", "list", "--store", "postgresql://app:hunter2-secret@127.0.0.1:1/sluice"});
  CHECK(status != 0);
  const std::string err = read_all(site.dir / "cli.err");
  CHECK(err.find("~/.pgpass") != std::string::npos);
  CHECK(err.find("hunter2") == std::string::npos);

  // In SLUICE_STORE it is taken; a database that cannot be reached is named without it.
  site.extra_environment.push_back("SLUICE_STORE=postgresql://app:hunter2-secret@127.0.0.1:1/x");
  CHECK(site.sluice_status({"runs", "list"}) != 0);
  const std::string unreachable = read_all(site.dir / "cli.err");
  CHECK(unreachable.find("postgresql://app:***@127.0.0.1:1/x") != std::string::npos);
  CHECK(unreachable.find("hunter2") == std::string::npos);
}

TEST_CASE("serve on PostgreSQL: one server fires the schedules; another takes over when it dies") {
  PostgresSite site;
  site.add("yearly", "version: 1\nname: yearly\n"
                     "triggers:\n  - schedule: { cron: \"0 0 1 1 *\" }\n"
                     "nodes:\n  say: { type: core.template, with: { template: hi } }\n");
  const std::string leads = "this server fires the schedules now";
  const auto wait_for_leader = [&](const std::vector<Server*>& servers) {
    std::vector<Server*> leaders;
    for (int i = 0; i < 100 && leaders.empty(); ++i) {
      std::this_thread::sleep_for(100ms);
      for (Server* server : servers)
        if (server->log().find(leads) != std::string::npos)
          leaders.push_back(server);
    }
    return leaders;
  };
  auto first = std::make_unique<Server>(site);
  auto second = std::make_unique<Server>(site);
  const std::vector<Server*> leaders = wait_for_leader({first.get(), second.get()});
  REQUIRE(leaders.size() == 1);
  std::this_thread::sleep_for(3s); // and stays the only one
  const bool both = first->log().find(leads) != std::string::npos &&
                    second->log().find(leads) != std::string::npos;
  CHECK_FALSE(both);

  Server* follower = leaders[0] == first.get() ? second.get() : first.get();
  CHECK(leaders[0]->stop(SIGKILL) == 128 + SIGKILL);
  CHECK(wait_for_leader({follower}).size() == 1); // its lock went with its connection
  // The leader stops as gracefully as any server: SIGTERM, exit 0, at once.
  const auto asked = std::chrono::steady_clock::now();
  CHECK(follower->stop(SIGTERM) == 0);
  CHECK(std::chrono::steady_clock::now() - asked < 10s);
}
