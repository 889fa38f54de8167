#pragma once
/// @file
/// For the engine and the SDK, not for plugins (not installed; see borrowed_array.hpp).
//
// The characters of names (node ids, input names, the `.name` segments of references) and the
// white space around an expression, classified by one table. The compiler reads every
// reference of a pipeline, millions of characters in a large one: a table look-up is one load
// where the comparisons were a chain of branches per character.

#include <array>
#include <cstdint>
#include <string_view>

namespace sluice::detail {

namespace name_chars {

inline constexpr std::uint8_t start = 1; // [A-Za-z_]
inline constexpr std::uint8_t rest = 2;  // [A-Za-z0-9_-]
inline constexpr std::uint8_t space = 4; // space, tab, CR, LF

inline constexpr std::array<std::uint8_t, 256> table = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c)
    t[c] = start | rest;
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] = start | rest;
  for (int c = '0'; c <= '9'; ++c)
    t[c] = rest;
  t['_'] = start | rest;
  t['-'] = rest;
  for (char c : {' ', '\t', '\r', '\n'})
    t[static_cast<unsigned char>(c)] = space;
  return t;
}();

inline bool is(char c, std::uint8_t kind) noexcept {
  return (table[static_cast<unsigned char>(c)] & kind) != 0;
}

} // namespace name_chars

inline bool is_name_start(char c) noexcept {
  return name_chars::is(c, name_chars::start);
}
inline bool is_name_char(char c) noexcept {
  return name_chars::is(c, name_chars::rest);
}
inline bool is_space(char c) noexcept {
  return name_chars::is(c, name_chars::space);
}

/// Where the name that starts at `from` in `text` ends: `from` itself when none starts there.
inline std::size_t name_end(std::string_view text, std::size_t from) noexcept {
  if (from >= text.size() || !is_name_start(text[from]))
    return from;
  ++from;
  while (from < text.size() && is_name_char(text[from]))
    ++from;
  return from;
}

/// Whether `text` is one whole name ([A-Za-z_][A-Za-z0-9_-]*): a node id, a path's plain key.
inline bool is_name(std::string_view text) noexcept {
  return !text.empty() && name_end(text, 0) == text.size();
}

/// `text` without the white space (space, tab, CR, LF) around it; `front` is set to how much
/// was dropped at the start.
inline std::string_view trim_space(std::string_view text, std::size_t& front) noexcept {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_space(text[begin]))
    ++begin;
  while (end > begin && is_space(text[end - 1]))
    --end;
  front = begin;
  return text.substr(begin, end - begin);
}

} // namespace sluice::detail
