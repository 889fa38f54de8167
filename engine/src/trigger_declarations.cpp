// Checking `triggers:`, `concurrency:` and `on_restart:`. Each setting is looked at once, and
// every mistake names the trigger's setting and says what would be accepted, since nobody
// finds out a schedule was wrong until it did not fire.

#include "trigger_declarations.hpp"
#include "message_text.hpp"

#include "suggest.hpp"

#include <sluice/duration.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>

namespace sluice::detail {

namespace {

template <class Enum, std::size_t N> using Names = std::array<std::pair<const char*, Enum>, N>;

constexpr Names<MissedRuns, 3> missed_names = {
    {{"none", MissedRuns::none}, {"last", MissedRuns::last}, {"all", MissedRuns::all}}};
constexpr Names<Overlap, 3> overlap_names = {
    {{"skip", Overlap::skip}, {"queue", Overlap::queue}, {"allow", Overlap::allow}}};
constexpr Names<WhenFull, 3> when_full_names = {
    {{"queue", WhenFull::queue}, {"skip", WhenFull::skip}, {"fail", WhenFull::fail}}};
constexpr Names<OnRestart, 2> on_restart_names = {
    {{"interrupted", OnRestart::interrupted}, {"rerun", OnRestart::rerun}}};

// The longest a webhook request may wait for its run's outputs: past it, proxies and clients
// give up anyway, and a slow pipeline should be polled (GET /v1/runs/ID).
constexpr std::chrono::minutes longest_wait{5};

class TriggerCompiler {
public:
  TriggerCompiler(const std::vector<InputInfo>& inputs,
                  const std::unordered_map<std::string_view, std::uint32_t>& input_index,
                  const ReportHintedProblem& error)
      : inputs_(inputs), input_index_(input_index), error_(error) {}

  void compile(const PipelineSpec& spec, Triggers& triggers, RunPolicy& policy) {
    for (const TriggerDecl& decl : spec.triggers) {
      if (decl.kind == "schedule") {
        if (auto schedule = compile_schedule(decl))
          triggers.schedules.push_back(std::move(*schedule));
      } else {
        compile_webhook(decl, triggers);
      }
    }
    compile_concurrency(spec.concurrency, policy);
    if (spec.on_restart)
      if (auto value = choice(*spec.on_restart, "'on_restart'", on_restart_names))
        policy.on_restart = *value;
  }

private:
  void error(SourceMark mark, std::string message, std::string hint = {}) const {
    error_(mark, std::move(message), std::move(hint));
  }

  // Reports settings the trigger does not know, and returns the one named `name`, if any.
  struct Settings {
    const std::vector<SettingDecl>& all;
    const SettingDecl* find(std::string_view name) const {
      for (const SettingDecl& setting : all)
        if (setting.name == name)
          return &setting;
      return nullptr;
    }
  };

  void check_known(const TriggerDecl& decl, const std::vector<std::string>& known) const {
    for (const SettingDecl& setting : decl.with) {
      if (std::find(known.begin(), known.end(), setting.name) != known.end())
        continue;
      NearestName nearest(setting.name);
      for (const std::string& name : known)
        nearest.consider(name);
      error(setting.key_mark.line != 0 ? setting.key_mark : setting.mark,
            "unknown setting '" + setting.name + "' of a " + decl.kind + " trigger",
            did_you_mean(nearest.best(), "known: " + join_names(known)));
    }
  }

  template <class Enum, std::size_t N>
  std::optional<Enum> choice(const SpecField& field, const std::string& what,
                             const Names<Enum, N>& names) const {
    std::vector<std::string> allowed;
    for (const auto& [name, value] : names) {
      if (field.value.is_string() && field.value.as_string() == name)
        return value;
      allowed.emplace_back(name);
    }
    error(field.mark,
          what + " must be one of " + join_names(allowed) + ", got " + shown(field.value));
    return std::nullopt;
  }

  template <class Enum, std::size_t N>
  std::optional<Enum> choice(const SettingDecl& setting, const std::string& what,
                             const Names<Enum, N>& names) const {
    return choice(SpecField{setting.value, setting.mark}, what, names);
  }

  static std::string shown(const Value& value) {
    if (value.is_string())
      return single_quoted(value.as_string());
    return std::string(to_string(value.type()));
  }

  std::optional<std::string> text(const SettingDecl& setting, const std::string& what) const {
    if (setting.value.is_string() && !setting.value.as_string().empty())
      return std::string(setting.value.as_string());
    error(setting.mark, what + " must be non-empty text, got " + shown(setting.value));
    return std::nullopt;
  }

  std::optional<std::uint32_t> count(const SettingDecl& setting, const std::string& what,
                                     std::int64_t low, std::int64_t high) const {
    if (setting.value.is_int() && setting.value.as_int() >= low && setting.value.as_int() <= high)
      return static_cast<std::uint32_t>(setting.value.as_int());
    error(setting.mark, what + " must be an integer from " + std::to_string(low) + " to " +
                            std::to_string(high) + ", got " +
                            (setting.value.is_int() ? std::to_string(setting.value.as_int())
                                                    : shown(setting.value)));
    return std::nullopt;
  }

  // ---- schedules --------------------------------------------------------------------------

  std::optional<ScheduleTrigger> compile_schedule(const TriggerDecl& decl) const {
    check_known(decl, {"cron", "timezone", "missed", "max_catch_up", "overlap", "inputs"});
    const Settings settings{decl.with};
    const SettingDecl* cron = settings.find("cron");
    if (!cron) {
      error(decl.mark, "a schedule needs 'cron', e.g. cron: \"0 9 * * 1-5\" (9:00 on weekdays)");
      return std::nullopt;
    }
    const auto cron_text = text(*cron, "'cron'");
    std::string zone = "UTC";
    const SettingDecl* zone_setting = settings.find("timezone");
    if (zone_setting) {
      if (auto name = text(*zone_setting, "'timezone'"))
        zone = *name;
      else
        return std::nullopt;
    }
    if (!cron_text)
      return std::nullopt;
    std::optional<Schedule> schedule;
    try {
      schedule = Schedule::parse(*cron_text, zone);
    } catch (const ScheduleError& e) {
      if (e.part() == ScheduleError::Part::time_zone)
        error(zone_setting->mark, e.what());
      else
        error(cron->mark,
              "cron '" + *cron_text + "': " + e.what() + " (character " +
                  std::to_string(e.offset() + 1) + ")",
              "fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\"");
      return std::nullopt;
    }
    ScheduleTrigger trigger{.schedule = *schedule, .mark = decl.mark};
    if (const SettingDecl* missed = settings.find("missed"))
      if (auto value = choice(*missed, "'missed'", missed_names))
        trigger.missed = *value;
    if (const SettingDecl* max = settings.find("max_catch_up")) {
      if (auto value = count(*max, "'max_catch_up'", 1, 1000))
        trigger.max_catch_up = *value;
      if (trigger.missed != MissedRuns::all)
        error(max->mark, "'max_catch_up' counts the catch-up runs of 'missed: all'",
              "add missed: all, or remove max_catch_up");
    }
    if (const SettingDecl* overlap = settings.find("overlap"))
      if (auto value = choice(*overlap, "'overlap'", overlap_names))
        trigger.overlap = *value;
    if (const SettingDecl* given = settings.find("inputs"))
      trigger.inputs = schedule_inputs(*given);
    return trigger;
  }

  // A schedule's `inputs:` are fixed values of declared inputs (no templates: there is
  // nothing to refer to when a clock starts a run).
  Value schedule_inputs(const SettingDecl& setting) const {
    if (!setting.value.is_object()) {
      error(setting.mark, "a schedule's 'inputs' must be a map of input names to values, got " +
                              shown(setting.value));
      return Value(Object{});
    }
    for (const auto& [name, value] : setting.value.as_object()) {
      const auto found = input_index_.find(name);
      if (found == input_index_.end()) {
        error(setting.mark,
              "the schedule sets input '" + name + "', which the pipeline does not declare",
              did_you_mean(nearest_input(name), "declare it under 'inputs:'"));
        continue;
      }
      const InputInfo& input = inputs_[found->second];
      if (!accepts(input.type, value))
        error(setting.mark, "the schedule sets input '" + name + "' to " +
                                std::string(to_string(value.type())) + ", but it is declared " +
                                std::string(to_string(input.type)));
    }
    return setting.value;
  }

  std::optional<std::string> nearest_input(const std::string& name) const {
    NearestName nearest(name);
    for (const InputInfo& input : inputs_)
      nearest.consider(input.name);
    return nearest.best();
  }

  // ---- webhooks ---------------------------------------------------------------------------

  void compile_webhook(const TriggerDecl& decl, Triggers& triggers) const {
    check_known(decl, {"path", "auth", "headers", "wait"});
    const Settings settings{decl.with};
    WebhookTrigger webhook;
    const SettingDecl* path = settings.find("path");
    if (!path) {
      error(decl.mark, "a webhook needs 'path', e.g. path: /hooks/standup");
      return;
    }
    if (auto text_path = text(*path, "'path'")) {
      if (!valid_webhook_path(*text_path)) {
        error(path->mark, "webhook path '" + *text_path +
                              "' must start with /hooks/ and use "
                              "only letters, digits and -._~/");
        return;
      }
      webhook.path = *text_path;
      webhook.mark = path->mark;
    } else {
      return;
    }
    for (const WebhookTrigger& other : triggers.webhooks)
      if (other.path == webhook.path) {
        error(path->mark, "webhook path '" + webhook.path + "' is used twice in this pipeline",
              "each webhook needs a path of its own");
        return;
      }
    const SettingDecl* auth = settings.find("auth");
    if (!auth) {
      error(decl.mark, "webhook '" + webhook.path + "' has no 'auth'",
            "set auth: { hmac: { connection: NAME } } or { bearer: { connection: NAME } }; "
            "auth: none accepts anyone who can reach the server");
      return;
    }
    if (!compile_auth(*auth, webhook))
      return;
    if (const SettingDecl* headers = settings.find("headers"))
      compile_header_inputs(*headers, webhook);
    if (const SettingDecl* wait = settings.find("wait")) {
      const auto duration = parse_duration(wait->value);
      if (!duration || *duration > longest_wait)
        error(wait->mark,
              "'wait' must be a duration up to 5m (e.g. 30s), got " + shown(wait->value));
      else
        webhook.wait = *duration;
    }
    triggers.webhooks.push_back(std::move(webhook));
  }

  bool compile_auth(const SettingDecl& auth, WebhookTrigger& webhook) const {
    const std::string shape = "'auth' must be none, { bearer: { connection: NAME } } or "
                              "{ hmac: { connection: NAME, header: X-Signature, tolerance: 5m } }";
    if (auth.value.is_string() && auth.value.as_string() == "none") {
      webhook.auth = WebhookAuth::none;
      return true;
    }
    if (!auth.value.is_object() || auth.value.as_object().size() != 1) {
      error(auth.mark, shape + ", got " + shown(auth.value));
      return false;
    }
    const auto& [kind, settings] = auth.value.as_object().front();
    if (kind != "bearer" && kind != "hmac") {
      error(auth.mark, "unknown webhook authentication '" + kind + "'", shape);
      return false;
    }
    webhook.auth = kind == "bearer" ? WebhookAuth::bearer : WebhookAuth::hmac;
    if (!settings.is_object()) {
      error(auth.mark, "'" + kind + "' must be a map with 'connection', got " + shown(settings));
      return false;
    }
    const std::vector<std::string> known =
        kind == "bearer" ? std::vector<std::string>{"connection"}
                         : std::vector<std::string>{"connection", "header", "tolerance"};
    bool ok = true;
    for (const auto& [name, value] : settings.as_object()) {
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        error(auth.mark, "unknown setting '" + name + "' of '" + kind + "'",
              "known: " + join_names(known));
        ok = false;
      } else if (name == "connection" || name == "header") {
        if (!value.is_string() || value.as_string().empty()) {
          error(auth.mark,
                "'" + name + "' of '" + kind + "' must be non-empty text, got " + shown(value));
          ok = false;
        } else if (name == "connection") {
          webhook.connection = std::string(value.as_string());
        } else {
          webhook.signature_header = std::string(value.as_string());
        }
      } else {
        const auto tolerance = parse_duration(value);
        if (!tolerance || *tolerance < std::chrono::seconds(1) ||
            *tolerance > std::chrono::hours(1)) {
          error(auth.mark,
                "'tolerance' of 'hmac' must be a duration from 1s to 1h, got " + shown(value));
          ok = false;
        } else {
          webhook.tolerance = std::chrono::duration_cast<std::chrono::seconds>(*tolerance);
        }
      }
    }
    if (ok && webhook.connection.empty()) {
      error(auth.mark, "'" + kind +
                           "' needs 'connection': the name of the connection that holds the "
                           "shared secret");
      ok = false;
    }
    return ok;
  }

  void compile_header_inputs(const SettingDecl& headers, WebhookTrigger& webhook) const {
    if (!headers.value.is_object()) {
      error(headers.mark,
            "'headers' must map request header names to input names, got " + shown(headers.value));
      return;
    }
    for (const auto& [header, input] : headers.value.as_object()) {
      if (!input.is_string() || !input_index_.contains(input.as_string())) {
        const std::string name = input.is_string() ? std::string(input.as_string()) : "";
        error(headers.mark,
              "header '" + header + "' must name a declared input, got " + shown(input),
              input.is_string() ? did_you_mean(nearest_input(name), "declare it under 'inputs:'")
                                : std::string());
        continue;
      }
      webhook.header_inputs.emplace_back(header, std::string(input.as_string()));
    }
  }

  // ---- concurrency ------------------------------------------------------------------------

  void compile_concurrency(const std::vector<SettingDecl>& settings, RunPolicy& policy) const {
    for (const SettingDecl& setting : settings) {
      if (setting.name == "limit") {
        if (auto value = count(setting, "'concurrency: limit'", 1, 10'000))
          policy.concurrency_limit = *value;
      } else if (setting.name == "when_full") {
        if (auto value = choice(setting, "'concurrency: when_full'", when_full_names))
          policy.when_full = *value;
      } else {
        error(setting.key_mark, "unknown setting '" + setting.name + "' of 'concurrency'",
              "known: limit, when_full");
      }
    }
  }

  const std::vector<InputInfo>& inputs_;
  const std::unordered_map<std::string_view, std::uint32_t>& input_index_;
  const ReportHintedProblem& error_;
};

} // namespace

bool valid_webhook_path(std::string_view path) noexcept {
  constexpr std::string_view prefix = "/hooks/";
  if (!path.starts_with(prefix) || path.size() == prefix.size() || path.size() > 200)
    return false;
  if (path.find("//") != std::string_view::npos || path.find("/../") != std::string_view::npos ||
      path.ends_with("/.."))
    return false;
  return std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '/';
  });
}

void compile_triggers(const PipelineSpec& spec, const std::vector<InputInfo>& inputs,
                      const std::unordered_map<std::string_view, std::uint32_t>& input_index,
                      Triggers& triggers, RunPolicy& policy, const ReportHintedProblem& error) {
  TriggerCompiler(inputs, input_index, error).compile(spec, triggers, policy);
}

} // namespace sluice::detail
