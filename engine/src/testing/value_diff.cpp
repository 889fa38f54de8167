// Comparing and showing values for pipeline tests (value_diff.hpp).

#include "value_diff.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace sluice::detail {

namespace {

// Past this many lines on either side a diff is not worth computing (its table is the product
// of the two): both values are shown whole instead.
constexpr std::size_t max_diff_lines = 2000;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

bool is_container(const Value& v) {
  return v.is_array() || v.is_object();
}

std::string shown(const Value& v) {
  return v.to_json();
}

bool contains(const Value& actual, const Value& expected) {
  if (actual.is_string() && expected.is_string())
    return actual.as_string().find(expected.as_string()) != std::string_view::npos;
  if (actual.is_array()) {
    const auto& elements = actual.as_array();
    const auto has = [&](const Value& wanted) {
      return std::find(elements.begin(), elements.end(), wanted) != elements.end();
    };
    if (expected.is_array())
      return std::all_of(expected.as_array().begin(), expected.as_array().end(), has);
    return has(expected);
  }
  if (actual.is_object() && expected.is_object()) {
    for (const auto& [key, value] : expected.as_object()) {
      const Value* found = actual.find(key);
      if (!found || !(*found == value))
        return false;
    }
    return true;
  }
  return actual == expected;
}

} // namespace

std::string line_diff(const std::string& expected, const std::string& actual) {
  const std::vector<std::string> a = lines_of(expected);
  const std::vector<std::string> b = lines_of(actual);
  std::string out;
  if (a.size() > max_diff_lines || b.size() > max_diff_lines) {
    for (const std::string& line : a)
      out += "- " + line + "\n";
    for (const std::string& line : b)
      out += "+ " + line + "\n";
    return out;
  }
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<std::uint32_t>> lcs(a.size() + 1,
                                              std::vector<std::uint32_t>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;)
    for (std::size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      out += "  " + a[i++] + "\n";
      ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out += "- " + a[i++] + "\n"; // removals first, as diff(1) shows a change
    } else {
      out += "+ " + b[j++] + "\n";
    }
  }
  return out;
}

std::string describe_expectation(const ValueMatcher& matcher) {
  switch (matcher.kind) {
  case ValueMatcher::Kind::matches: {
    // The pattern is text once the file loaded; a matcher whose pattern was not text (a
    // reported problem) still describes itself rather than throwing.
    std::string text = "a match for /";
    text += matcher.value.is_string() ? std::string(matcher.value.as_string())
                                      : matcher.value.to_json();
    text += "/";
    return text;
  }
  case ValueMatcher::Kind::contains:
    return "something containing " + shown(matcher.value);
  case ValueMatcher::Kind::equals:
    break;
  }
  return shown(matcher.value);
}

std::optional<std::string> mismatch(const ValueMatcher& matcher, const Value& actual) {
  switch (matcher.kind) {
  case ValueMatcher::Kind::matches: {
    const std::string text =
        actual.is_string() ? std::string(actual.as_string()) : actual.to_json();
    if (matcher.pattern && re2::RE2::PartialMatch(text, *matcher.pattern))
      return std::nullopt;
    return "expected " + describe_expectation(matcher) + ", got " + shown(actual);
  }
  case ValueMatcher::Kind::contains:
    if (contains(actual, matcher.value))
      return std::nullopt;
    return "expected " + describe_expectation(matcher) + ", got " + shown(actual);
  case ValueMatcher::Kind::equals:
    break;
  }
  if (actual == matcher.value)
    return std::nullopt;
  if (is_container(actual) && is_container(matcher.value))
    return "expected (-) and actual (+) differ:\n" +
           line_diff(matcher.value.to_json(true), actual.to_json(true));
  return "expected " + shown(matcher.value) + ", got " + shown(actual);
}

} // namespace sluice::detail
