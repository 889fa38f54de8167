#pragma once
// Owns how a pipeline test compares an expected value with an actual one, and how a
// difference reads: scalars on one line, lists and maps as a line diff of their JSON.

#include "test_file.hpp"

#include <sluice/value.hpp>

#include <optional>
#include <string>

namespace sluice::detail {

/// What the matcher wants, as a message says it: `"Hello"`, `a match for /^Hi/`,
/// `something containing "x"`.
std::string describe_expectation(const ValueMatcher& matcher);

/// Why `actual` does not satisfy `matcher`, or nullopt when it does. Lists and maps that
/// differ come back as a diff, one line per JSON line: "- " expected, "+ " actual.
std::optional<std::string> mismatch(const ValueMatcher& matcher, const Value& actual);

/// A line diff of two texts (longest common subsequence of lines): unchanged lines start
/// with two spaces, removed ones with "- ", added ones with "+ ".
std::string line_diff(const std::string& expected, const std::string& actual);

} // namespace sluice::detail
