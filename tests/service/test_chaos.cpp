// Chaos on a shared store: three `sluice worker` processes run 1,000 queued runs of a pipeline
// that creates a Zoom meeting on the emulator and deletes it 0.3 s later, while a worker
// chosen at random is killed with SIGKILL every second and started again. At the end every run has
// ended (succeeded, or interrupted because its create may have been in flight when its worker
// died), and the emulator's counters show no meeting created twice for a run: meetings created are
// the succeeded runs' (all deleted again) plus at most one per interrupted run.

#include "postgres_site.hpp"
#include "zoom_site.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

using namespace serve_test;
using sluice::zoom_emulator::test::EmulatorProcess;

namespace {

class Workers {
public:
  Workers(const Site& site, int count) : site_(site), pids_(static_cast<std::size_t>(count), -1) {
    for (std::size_t i = 0; i < pids_.size(); ++i)
      start(i);
  }
  ~Workers() {
    for (std::size_t i = 0; i < pids_.size(); ++i)
      kill(i);
  }
  void start(std::size_t i) {
    const fs::path log =
        site_.dir / ("worker-" + std::to_string(i) + "-" + std::to_string(starts_++) + ".err");
    logs_.push_back(log);
    pids_[i] = site_.spawn({SLUICE_CLI, "worker", (site_.dir / "pipelines").string(), "--lease",
                            "2", "--concurrency", "4", "--grace", "1"},
                           site_.dir / "worker.out", log);
  }
  void kill(std::size_t i) {
    if (pids_[i] <= 0)
      return;
    ::kill(pids_[i], SIGKILL);
    ::waitpid(pids_[i], nullptr, 0);
    pids_[i] = -1;
  }
  std::size_t size() const { return pids_.size(); }
  // Lines of every worker log so far that hold `text`.
  int count(const std::string& text) const {
    int found = 0;
    for (const fs::path& log : logs_) {
      const std::string all = read_all(log);
      for (std::size_t at = 0; (at = all.find(text, at)) != std::string::npos; at += text.size())
        ++found;
    }
    return found;
  }
  // Sanitizer reports in the worker logs, for a failure message.
  std::string sanitizer_reports() const {
    std::string reports;
    for (const fs::path& log : logs_)
      if (const std::string text = read_all(log); text.find("Sanitizer") != std::string::npos)
        reports += text;
    return reports;
  }

private:
  const Site& site_;
  std::vector<pid_t> pids_;
  std::vector<fs::path> logs_;
  int starts_ = 0;
};

const std::string create_then_delete =
    "version: 1\nname: meet\n"
    "inputs: { n: { type: integer } }\n"
    "nodes:\n"
    "  tomorrow: { type: core.time, with: { offset: 1d, round_to: 1h } }\n"
    "  create:\n"
    "    type: zoom.create_meeting\n"
    "    with: { topic: \"chaos {{ inputs.n }}\", type: 2, start_time: \"{{ tomorrow.utc }}\", "
    "duration: 30 }\n"
    "  pause: { type: core.delay, needs: [create], with: { ms: 300 } }\n"
    "  delete:\n"
    "    type: zoom.delete_meeting\n"
    "    needs: [pause]\n"
    "    with: { meeting_id: \"{{ create.id }}\" }\n"
    "outputs: { meeting: \"{{ create.id }}\", deleted: \"{{ delete.deleted }}\" }\n";

} // namespace

TEST_CASE("chaos: 1,000 runs, workers killed at random, every run accounted for once") {
  EmulatorProcess emulator({"--auto-approve", "--no-rate-limits"});
  PostgresSite site;
  site.add("meet", create_then_delete);
  connect_to_emulator(site, emulator, "chaos");
  const std::string token = site.token();
  Server server(site, {"--worker-runs", "0"});
  HttpClient client(server.port());
  constexpr int runs = 1000;
  std::vector<std::string> ids;
  for (int n = 0; n < runs; ++n) {
    const HttpResult accepted = client.api("POST", "/v1/pipelines/meet/runs", token,
                                           Value(Object{{"inputs", Object{{"n", n}}}}).to_json());
    REQUIRE_MESSAGE(accepted.status == 202, accepted.body);
    ids.push_back(accepted.json()["id"].to_text());
  }

  Workers workers(site, 3);
  std::mt19937 random(20261206);
  int kills = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(8);
  const auto remaining = [&] {
    std::size_t open = 0;
    for (const char* status : {"queued", "running"}) {
      const HttpResult page =
          client.api("GET", std::string("/v1/runs?limit=500&status=") + status, token);
      open += page.json()["runs"].as_array().size();
    }
    return open;
  };
  // The two queries are not one snapshot: a run requeued between them (its worker was
  // killed) is in neither. Only two empty answers a second apart end the wait.
  int empty_answers = 0;
  while (empty_answers < 2 && std::chrono::steady_clock::now() < give_up) {
    empty_answers = remaining() == 0 ? empty_answers + 1 : 0;
    std::this_thread::sleep_for(1s);
    const std::size_t victim = std::uniform_int_distribution<std::size_t>(0, 2)(random);
    workers.kill(victim);
    workers.start(victim);
    ++kills;
  }
  REQUIRE_MESSAGE(remaining() == 0, "runs still open after 8 minutes");
  CHECK_MESSAGE(workers.sanitizer_reports().empty(), workers.sanitizer_reports());

  std::map<std::string, int> statuses;
  std::set<std::int64_t> meetings;
  int succeeded = 0;
  for (const std::string& id : ids) {
    const Value run = client.api("GET", "/v1/runs/" + id, token).json();
    const std::string status = run["status"].to_text();
    ++statuses[status];
    CAPTURE(run.to_json());
    if (status == "succeeded") {
      ++succeeded;
      CHECK(run["outputs"]["deleted"] == Value(true));
      // Two runs never report one meeting.
      CHECK(meetings.insert(run["outputs"]["meeting"].as_int()).second);
    } else {
      CHECK(status == "interrupted");
      CHECK(run["error"].to_text().find("node 'create' may or may not have run") !=
            std::string::npos);
    }
  }
  HttpClient to_emulator(emulator.port());
  const Value counters = to_emulator.request("GET", "/_emulator/counters").json();
  const std::int64_t created = counters["meetings_created"].as_int();
  const std::int64_t deleted = counters["meetings_deleted"].as_int();
  const int interrupted = statuses["interrupted"];
  const int resumed = workers.count("resuming run ");
  MESSAGE("chaos: " << kills << " kills; " << resumed << " runs resumed; " << succeeded
                    << " succeeded, " << interrupted << " interrupted; the emulator created "
                    << created << " meetings and deleted " << deleted);
  CHECK(kills > 0);
  CHECK(resumed > 0); // kills landed in runs, which others finished
  CHECK(succeeded + interrupted == runs);
  // Each succeeded run created and deleted its meeting once; an interrupted run created at
  // most one, which is left for a person to look at (its error says so).
  CHECK(deleted == succeeded);
  CHECK(created >= succeeded);
  CHECK(created <= succeeded + interrupted);
}
