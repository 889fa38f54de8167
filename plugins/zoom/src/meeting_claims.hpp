#pragma once
// The meetings this process has already reported as created, so that reconciling a lost
// create never adopts a meeting another create of the same process made or adopted.

#include <cstdint>

namespace sluice::zoom {

/// Claims `meeting_id` for one create. True when it was not claimed yet; false when another
/// create of this process already reported it (it must then not be reported again).
/// Claims are forgotten after an hour: reconciliation only looks a minute back.
bool claim_meeting(std::int64_t meeting_id);

/// Counts a create request of this process from construction until destruction, so that a
/// reconciling create can wait for the answers of those still in flight: their meetings are
/// theirs, and they claim them when the answer arrives.
class CreateInFlight {
public:
  CreateInFlight();
  ~CreateInFlight();
  CreateInFlight(const CreateInFlight&) = delete;
  CreateInFlight& operator=(const CreateInFlight&) = delete;
};

/// Create requests of this process that are waiting for their answer.
int creates_in_flight() noexcept;

} // namespace sluice::zoom
