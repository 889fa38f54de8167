#pragma once
// How a stored meeting is shown: the full object (create/get) and the list summary.

#include "state.hpp"

#include <sluice/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::zoom_emulator {

enum class MeetingView { created, fetched };

// One occurrence of a recurring meeting with a fixed time, its changes applied.
struct Occurrence {
  std::string id; // epoch milliseconds of the original start, as a string
  std::time_t start_time = 0;
  int duration = 60;
  bool deleted = false;
};

// The occurrences of a type 8 meeting in start order, deleted ones included; empty for
// other types.
std::vector<Occurrence> meeting_occurrences(const Meeting& meeting);
// The occurrence `occurrence_id` of `meeting` unless unknown or deleted.
std::optional<Occurrence> live_occurrence(const Meeting& meeting, std::string_view occurrence_id);

struct MeetingJsonOptions {
  // Show the meeting as of this occurrence (its start, duration, agenda and settings).
  std::optional<Occurrence> occurrence;
  // List occurrences that have already ended too (GET's show_previous_occurrences).
  bool show_previous_occurrences = false;
};

Value meeting_json(const State& state, const Meeting& meeting, MeetingView view,
                   const MeetingJsonOptions& options = {});
Value meeting_summary_json(const State& state, const Meeting& meeting);
// Members of `overlay` replace those of `base`; new members are appended.
Value merge_objects(const Value& base, const Value& overlay);

} // namespace sluice::zoom_emulator
