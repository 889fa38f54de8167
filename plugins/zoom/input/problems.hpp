#pragma once
// Collecting the problems of one call and showing values in their messages; shared by every
// check of the zoom.* settings.

#include <sluice_zoom/meeting_input.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::zoom::detail {

// Every check adds to one list and the call throws once at the end, so the user sees all
// problems of a node together.
class Problems {
public:
  void add(std::string field, std::string message) {
    list_.push_back({std::move(field), std::move(message)});
  }
  bool empty() const noexcept { return list_.empty(); }
  std::size_t size() const noexcept { return list_.size(); }
  void throw_if_any() {
    if (!list_.empty())
      throw InputError(std::move(list_));
  }

private:
  std::vector<InvalidInput> list_;
};

// "parent.key", or "key" at the top level.
std::string join_path(std::string_view parent, std::string_view key);

// A value as it appears in a message: JSON (strings quoted), cut short when long.
std::string shown(const Value& value);
std::string shown(std::string_view text);

// "an integer", "text", "a list", ...: what the user gave instead of what was wanted.
std::string kind_of(const Value& value);

// "<wanted>, got <kind> <value>", e.g. "must be text, got an integer 5".
std::string wrong_kind(std::string_view wanted, const Value& value);

} // namespace sluice::zoom::detail
