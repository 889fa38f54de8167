#pragma once
// "Did you mean ...?" suggestions for misspelled names in pipelines.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::detail {

/// Optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of neighbours each cost 1), or `limit + 1` as soon as it is known
/// to exceed `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

/// Finds the candidate closest to a misspelled name. Short names get a tighter limit, so that
/// `ab` does not "mean" `xy`; no suggestion is ever further than 3 edits away.
class NearestName {
public:
  explicit NearestName(std::string_view wanted);
  void consider(std::string_view candidate);
  /// The closest candidate seen (the first one on ties), or nullopt.
  std::optional<std::string> best() const;

private:
  std::string wanted_;
  std::size_t limit_;
  std::size_t best_distance_;
  std::string best_;
  bool found_ = false;
};

/// The names separated by commas: `a, b, c`.
std::string join_names(const std::vector<std::string>& names);

/// A hint: "did you mean 'x'?" when there is a suggestion, followed by `more` if any.
std::string did_you_mean(const std::optional<std::string>& suggestion, std::string_view more = {});

} // namespace sluice::detail
