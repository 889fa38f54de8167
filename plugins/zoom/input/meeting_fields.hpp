#pragma once
// The tables of the meeting fields Zoom's create and update requests take: the body, its
// settings{} and its recurrence{}.

#include "shape.hpp"

namespace sluice::zoom::detail {

// The create/update body; its `settings` and `recurrence` members have the two shapes below.
extern const Shape meeting_body_shape;
extern const Shape meeting_settings_shape;
extern const Shape recurrence_shape;

} // namespace sluice::zoom::detail
