// Scrubbing the environment handed to child processes. A browser, xdg-open and whatever they
// start inherit their environment for their whole life and may log or forward it; the
// credential key and the client secret live in the environment of `sluice connect`, so
// the child gets a copy without them. A deny-list rather than an allow-list: browsers need
// an open-ended set of desktop variables (DISPLAY, XAUTHORITY, WAYLAND_*, DBUS_*, XDG_*...).

#include "child_environment.hpp"

#include <sluice/ascii.hpp>

#include <algorithm>
#include <array>

namespace sluice::zoom {

namespace {

// `word` appears in `name` as a whole `_`-separated part (so PASS matches DB_PASS, not PASSAGE).
bool has_word(std::string_view name, std::string_view word) {
  for (std::size_t at = name.find(word); at != std::string_view::npos;
       at = name.find(word, at + 1)) {
    const bool starts = at == 0 || name[at - 1] == '_';
    const bool ends = at + word.size() == name.size() || name[at + word.size()] == '_';
    if (starts && ends)
      return true;
  }
  return false;
}

} // namespace

bool is_secret_variable(std::string_view name) {
  const std::string upper_name = ascii::upper(name);
  const std::string_view n = upper_name;
  if (n.starts_with("SLUICE_"))
    return true;
  static constexpr std::array<std::string_view, 5> anywhere = {"SECRET", "TOKEN", "PASSWORD",
                                                               "PASSWD", "CREDENTIAL"};
  for (const std::string_view part : anywhere)
    if (n.find(part) != std::string_view::npos)
      return true;
  // Short words only as a whole part: KEY catches API_KEY, not KEYBOARD_LAYOUT.
  return has_word(n, "KEY") || has_word(n, "PASS") || has_word(n, "PAT");
}

std::vector<std::string> scrubbed_environment(char** environment) {
  std::vector<std::string> kept;
  for (char** entry = environment; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    const std::string_view name = variable.substr(0, variable.find('='));
    if (!is_secret_variable(name))
      kept.emplace_back(variable);
  }
  return kept;
}

} // namespace sluice::zoom
