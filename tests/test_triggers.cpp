// `triggers:`, `concurrency:` and `on_restart:` in pipeline files: what a valid file gives
// through Pipeline::triggers() and run_policy(), and that every mistake is reported with the
// line and column of what is wrong.

#include <sluice/engine.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace sluice;

// Failures show the problems themselves.
template <> struct doctest::StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string text = "[";
    for (const std::string& line : lines)
      text += "\n  " + line;
    return (text + "]").c_str();
  }
};

namespace {

const std::string head =
    "version: 1\n"
    "name: standup\n"
    "inputs:\n"
    "  topic: { type: string, default: Standup }\n"
    "  team: { type: string, default: core }\n"
    "nodes:\n"
    "  say: { type: core.template, with: { template: \"{{ inputs.topic }}\" } }\n";

// Each problem as `line:column: message`.
std::vector<std::string> problems(const std::string& tail) {
  Engine engine;
  try {
    (void)engine.load_string(head + tail, "standup.yaml");
  } catch (const LoadError& e) {
    std::vector<std::string> out;
    for (const Diagnostic& d : e.diagnostics())
      out.push_back(std::to_string(d.mark.line) + ":" + std::to_string(d.mark.column) + ": " +
                    d.message);
    return out;
  }
  return {};
}

std::string hint_of(const std::string& tail) {
  Engine engine;
  try {
    (void)engine.load_string(head + tail, "standup.yaml");
  } catch (const LoadError& e) {
    return e.diagnostics().front().hint;
  }
  return {};
}

} // namespace

TEST_CASE("a pipeline's triggers and run policy, as declared") {
  Engine engine;
  const Pipeline pipeline = engine.load_string(
      head + "triggers:\n"
             "  - schedule: { cron: \"0 9 * * 1-5\", timezone: Europe/Berlin, missed: all,\n"
             "                max_catch_up: 3, overlap: queue, inputs: { topic: Daily } }\n"
             "  - schedule: { cron: \"@hourly\" }\n"
             "  - webhook:\n"
             "      path: /hooks/standup\n"
             "      auth: { hmac: { connection: standup-hook, header: X-Hub-Signature, "
             "tolerance: 2m } }\n"
             "      headers: { X-Team: team }\n"
             "      wait: 30s\n"
             "  - webhook: { path: /hooks/open, auth: none }\n"
             "  - webhook: { path: /hooks/token, auth: { bearer: { connection: ci } } }\n"
             "concurrency: { limit: 2, when_full: skip }\n"
             "on_restart: rerun\n");
  const Triggers& triggers = pipeline.triggers();
  REQUIRE(triggers.schedules.size() == 2);
  const ScheduleTrigger& daily = triggers.schedules[0];
  CHECK(daily.schedule.cron() == "0 9 * * 1-5");
  CHECK(daily.schedule.time_zone() == "Europe/Berlin");
  CHECK(daily.missed == MissedRuns::all);
  CHECK(daily.max_catch_up == 3);
  CHECK(daily.overlap == Overlap::queue);
  CHECK(daily.inputs == Value(Object{{"topic", "Daily"}}));
  CHECK(daily.mark == SourceMark{9, 5});
  const ScheduleTrigger& hourly = triggers.schedules[1];
  CHECK(hourly.schedule.time_zone() == "UTC");
  CHECK(hourly.missed == MissedRuns::last);
  CHECK(hourly.overlap == Overlap::skip);

  REQUIRE(triggers.webhooks.size() == 3);
  const WebhookTrigger& signed_hook = triggers.webhooks[0];
  CHECK(signed_hook.path == "/hooks/standup");
  CHECK(signed_hook.auth == WebhookAuth::hmac);
  CHECK(signed_hook.connection == "standup-hook");
  CHECK(signed_hook.signature_header == "X-Hub-Signature");
  CHECK(signed_hook.tolerance == std::chrono::seconds(120));
  CHECK(signed_hook.header_inputs ==
        std::vector<std::pair<std::string, std::string>>{{"X-Team", "team"}});
  CHECK(signed_hook.wait == std::chrono::seconds(30));
  CHECK(triggers.webhooks[1].auth == WebhookAuth::none);
  CHECK(triggers.webhooks[1].wait == std::chrono::milliseconds(0));
  CHECK(triggers.webhooks[2].auth == WebhookAuth::bearer);
  CHECK(triggers.webhooks[2].connection == "ci");
  CHECK(triggers.webhooks[2].signature_header == "X-Signature"); // the default, unused

  CHECK(pipeline.run_policy().concurrency_limit == 2);
  CHECK(pipeline.run_policy().when_full == WhenFull::skip);
  CHECK(pipeline.run_policy().on_restart == OnRestart::rerun);
}

TEST_CASE("a pipeline without triggers has none, and the default policy") {
  Engine engine;
  const Pipeline pipeline = engine.load_string(head);
  CHECK(pipeline.triggers().empty());
  CHECK(pipeline.run_policy().concurrency_limit == 0);
  CHECK(pipeline.run_policy().when_full == WhenFull::queue);
  CHECK(pipeline.run_policy().on_restart == OnRestart::interrupted);
  CHECK(Pipeline().triggers().empty());
}

TEST_CASE("mistakes in schedules point at what is wrong") {
  CHECK(problems("triggers:\n  - schedule: { cron: \"0 25 * * *\" }\n") ==
        std::vector<std::string>{
            "9:23: cron '0 25 * * *': 25 is out of range in the hour field (0-23) (character 3)"});
  CHECK(problems("triggers:\n  - schedule: { cron: \"0 9 * * *\", timezone: Europe/Berln }\n") ==
        std::vector<std::string>{
            "9:46: unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?"});
  CHECK(problems("triggers:\n  - schedule: { timezone: UTC }\n") ==
        std::vector<std::string>{
            "9:5: a schedule needs 'cron', e.g. cron: \"0 9 * * 1-5\" (9:00 on weekdays)"});
  CHECK(problems("triggers:\n  - schedule: { cron: \"@daily\", missed: some, overlap: 3 }\n") ==
        std::vector<std::string>{"9:41: 'missed' must be one of none, last, all, got 'some'",
                                 "9:56: 'overlap' must be one of skip, queue, allow, got integer"});
  CHECK(problems("triggers:\n  - schedule: { cron: \"@daily\", max_catch_up: 5 }\n") ==
        std::vector<std::string>{"9:47: 'max_catch_up' counts the catch-up runs of 'missed: all'"});
  CHECK(
      problems("triggers:\n  - schedule: { cron: \"@daily\", inputs: { topik: x, team: 3 } }\n") ==
      std::vector<std::string>{
          "9:41: the schedule sets input 'topik', which the pipeline does not declare",
          "9:41: the schedule sets input 'team' to integer, but it is declared string"});
  CHECK(hint_of("triggers:\n  - schedule: { cron: \"@daily\", inputs: { topik: x } }\n")
            .starts_with("did you mean 'topic'?"));
  CHECK(problems("triggers:\n  - schedule: { cron: \"@daily\", zone: UTC }\n") ==
        std::vector<std::string>{"9:33: unknown setting 'zone' of a schedule trigger"});
  CHECK(problems("triggers:\n  - schedule: { cron: \"0 0 31 2 *\" }\n").at(0).find("never fires") !=
        std::string::npos);
}

TEST_CASE("mistakes in webhooks point at what is wrong") {
  CHECK(problems("triggers:\n  - webhook: { path: /hooks/a }\n") ==
        std::vector<std::string>{"9:5: webhook '/hooks/a' has no 'auth'"});
  CHECK(hint_of("triggers:\n  - webhook: { path: /hooks/a }\n").find("auth: none accepts anyone") !=
        std::string::npos);
  CHECK(problems("triggers:\n  - webhook: { path: /v1/runs, auth: none }\n") ==
        std::vector<std::string>{"9:22: webhook path '/v1/runs' must start with /hooks/ and use "
                                 "only letters, digits and -._~/"});
  CHECK(problems("triggers:\n  - webhook: { path: \"/hooks/a b\", auth: none }\n").size() == 1);
  CHECK(problems("triggers:\n  - webhook: { path: /hooks/../x, auth: none }\n").size() == 1);
  CHECK(problems("triggers:\n"
                 "  - webhook: { path: /hooks/a, auth: none }\n"
                 "  - webhook: { path: /hooks/a, auth: none }\n") ==
        std::vector<std::string>{"10:22: webhook path '/hooks/a' is used twice in this pipeline"});
  CHECK(problems(
            "triggers:\n  - webhook: { path: /hooks/a, auth: { basic: { connection: x } } }\n") ==
        std::vector<std::string>{"9:38: unknown webhook authentication 'basic'"});
  CHECK(
      problems("triggers:\n  - webhook: { path: /hooks/a, auth: { hmac: { header: X-Sig } } }\n") ==
      std::vector<std::string>{"9:38: 'hmac' needs 'connection': the name of the connection "
                               "that holds the shared secret"});
  CHECK(problems("triggers:\n  - webhook: { path: /hooks/a, auth: { hmac: { connection: k, "
                 "tolerance: 2h } } }\n") ==
        std::vector<std::string>{
            "9:38: 'tolerance' of 'hmac' must be a duration from 1s to 1h, got '2h'"});
  CHECK(
      problems(
          "triggers:\n  - webhook: { path: /hooks/a, auth: none, headers: { X-Team: teem } }\n") ==
      std::vector<std::string>{"9:53: header 'X-Team' must name a declared input, got 'teem'"});
  CHECK(problems("triggers:\n  - webhook: { path: /hooks/a, auth: none, wait: 10m }\n") ==
        std::vector<std::string>{"9:50: 'wait' must be a duration up to 5m (e.g. 30s), got '10m'"});
}

TEST_CASE("mistakes in the shape of triggers, concurrency and on_restart") {
  CHECK(problems("triggers: { schedule: x }\n") ==
        std::vector<std::string>{"8:11: 'triggers' must be a list of '- schedule: {...}' and "
                                 "'- webhook: {...}' entries, got a map"});
  CHECK(problems("triggers:\n  - cron: \"@daily\"\n") ==
        std::vector<std::string>{"9:5: unknown key 'cron' as a trigger"});
  CHECK(problems("triggers:\n  - schedule: \"@daily\"\n") ==
        std::vector<std::string>{"9:15: 'schedule' must be a map of settings, got '@daily'"});
  CHECK(problems(
            "triggers:\n  - { schedule: { cron: \"@daily\" }, webhook: { path: /hooks/a } }\n") ==
        std::vector<std::string>{
            "9:5: a trigger must be a map with one key, 'schedule' or 'webhook', got 2 keys"});
  CHECK(problems("concurrency: { limit: 0 }\n") ==
        std::vector<std::string>{
            "8:23: 'concurrency: limit' must be an integer from 1 to 10000, got 0"});
  CHECK(problems("concurrency: { limit: 2, when_full: drop }\n") ==
        std::vector<std::string>{
            "8:37: 'concurrency: when_full' must be one of queue, skip, fail, got 'drop'"});
  CHECK(problems("concurrency: { max: 2 }\n") ==
        std::vector<std::string>{"8:16: unknown setting 'max' of 'concurrency'"});
  CHECK(problems("on_restart: retry\n") ==
        std::vector<std::string>{
            "8:13: 'on_restart' must be one of interrupted, rerun, got 'retry'"});
}
