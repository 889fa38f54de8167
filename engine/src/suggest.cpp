// "Did you mean" hints for misspelt names: an edit distance (a swap of neighbours counts as
// one edit) that gives up once past its limit, and picking the closest candidate.

#include "suggest.hpp"

#include <algorithm>

namespace sluice::detail {

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t too_far = limit + 1;
  const std::size_t length_gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (length_gap > limit)
    return too_far;
  // Three rolling rows: the swap rule looks two rows back.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    std::size_t row_minimum = current[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t best =
          std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        best = std::min(best, before[j - 2] + 1);
      current[j] = best;
      row_minimum = std::min(row_minimum, best);
    }
    if (row_minimum > limit)
      return too_far;
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return std::min(previous[b.size()], too_far);
}

NearestName::NearestName(std::string_view wanted)
    : wanted_(wanted), limit_(std::clamp<std::size_t>((wanted.size() + 1) / 3, 1, 3)),
      best_distance_(limit_ + 1) {
}

void NearestName::consider(std::string_view candidate) {
  if (candidate == wanted_)
    return;
  const std::size_t distance = edit_distance(wanted_, candidate, limit_);
  if (distance < best_distance_) {
    best_distance_ = distance;
    best_ = candidate;
    found_ = true;
  }
}

std::optional<std::string> NearestName::best() const {
  if (!found_)
    return std::nullopt;
  return best_;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty())
      out += ", ";
    out += name;
  }
  return out;
}

std::string did_you_mean(const std::optional<std::string>& suggestion, std::string_view more) {
  if (!suggestion)
    return std::string(more);
  std::string hint = "did you mean '" + *suggestion + "'?";
  if (!more.empty()) {
    hint += ' ';
    hint += more;
  }
  return hint;
}

} // namespace sluice::detail
