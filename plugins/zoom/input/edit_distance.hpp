#pragma once
// Levenshtein distance, for "did you mean" suggestions (setting keys, time zone names).

#include <cstddef>
#include <string_view>

namespace sluice::zoom::detail {

std::size_t edit_distance(std::string_view a, std::string_view b);

} // namespace sluice::zoom::detail
