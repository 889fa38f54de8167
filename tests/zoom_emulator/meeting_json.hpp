#pragma once
// How a stored meeting is shown: the full object (create/get) and the list summary.

#include "state.hpp"

#include <sluice/value.hpp>

namespace sluice::zoom_emulator {

enum class MeetingView { created, fetched };

Value meeting_json(const State& state, const Meeting& meeting, MeetingView view);
Value meeting_summary_json(const State& state, const Meeting& meeting);
// The occurrences of a recurring meeting with a fixed time (type 8); empty otherwise.
Array meeting_occurrences(const Meeting& meeting);

} // namespace sluice::zoom_emulator
