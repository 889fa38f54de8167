// The zoom.* settings checks: the very input functions a node runs (sluice_zoom/meeting_input.hpp)
// run over the settings written as literals, keeping only the problems that no templated
// setting could change. One set of rules, so validation and the run can never disagree on a
// literal.

#include "settings_checks.hpp"

#include "sluice_zoom/meeting_input.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::zoom {

namespace {

using Clock = std::chrono::system_clock;
/// What a node does with its settings before it calls Zoom; throws InputError.
using InputStep = std::function<void(const Value& settings, Clock::time_point now)>;

// The other settings whose values a setting's rules read (meeting_body.cpp, cross-field
// checks): a problem with the setting stands only when those are known too. With `type`
// templated, say, a literal start_time cannot be judged: type 1 ignores it, type 2 needs it in
// the future.
std::vector<std::string_view> settings_read_by(std::string_view setting) {
  if (setting == "start_time")
    return {"type", "timezone"};
  if (setting == "schedule_for" || setting == "pre_schedule" || setting == "recurrence")
    return {"type"};
  return {};
}

bool known_now(const InvalidInput& problem, const KnownSettings& known) {
  // A problem of the settings as a whole (an update that changes nothing) holds only when
  // every setting is known.
  if (problem.field.empty())
    return known.templated.empty();
  const std::string_view setting =
      std::string_view(problem.field).substr(0, problem.field.find_first_of(".["));
  if (known.is_templated(setting))
    return false; // seen as unset here; its value comes when the node runs
  for (std::string_view other : settings_read_by(setting))
    if (known.is_templated(other))
      return false;
  return true;
}

// A start time in the past stays in the past, so checking against the clock at load time
// never refuses what a later run would accept.
SettingsCheck check_running(std::vector<InputStep> steps) {
  return [steps = std::move(steps)](const KnownSettings& known) {
    std::vector<SettingProblem> problems;
    const Clock::time_point now = Clock::now();
    for (const InputStep& step : steps) {
      try {
        step(known.literals, now);
      } catch (const InputError& e) {
        for (const InvalidInput& problem : e.problems())
          if (known_now(problem, known))
            problems.push_back({problem.field, problem.message});
      }
    }
    return problems;
  };
}

void user_id(const Value& settings, Clock::time_point) {
  (void)user_id_from(settings);
}
void meeting_id(const Value& settings, Clock::time_point) {
  (void)meeting_id_from(settings);
}
void occurrence_id(const Value& settings, Clock::time_point) {
  (void)occurrence_id_from(settings);
}

} // namespace

void register_settings_checks(Registrar& registrar) {
  // The same steps, in the same order, as each node's run (meeting_nodes.cpp).
  registrar.add_settings_check("zoom.create_meeting",
                               check_running({[](const Value& s, Clock::time_point now) {
                                                (void)create_meeting_body(s, now);
                                              },
                                              user_id}));
  registrar.add_settings_check("zoom.get_meeting", check_running({meeting_id, occurrence_id}));
  registrar.add_settings_check(
      "zoom.update_meeting",
      check_running({meeting_id, occurrence_id, [](const Value& s, Clock::time_point now) {
                       (void)update_meeting_body(s, now);
                     }}));
  registrar.add_settings_check(
      "zoom.list_meetings",
      check_running({[](const Value& s, Clock::time_point) { (void)list_query_from(s); }}));
  registrar.add_settings_check(
      "zoom.delete_meeting",
      check_running({[](const Value& s, Clock::time_point) { (void)delete_query_from(s); }}));
  registrar.add_settings_check("zoom.get_user", check_running({user_id}));
}

} // namespace sluice::zoom
