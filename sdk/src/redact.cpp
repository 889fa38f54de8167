// redact(): hiding known secrets in text shown to observers and in outputs.

#include <sluice/redact.hpp>

namespace sluice {

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
  // Every occurrence of every secret is found in the original text (overlapping ones too),
  // and each run of covered characters becomes one marker. Replacing secret by secret instead
  // would search the markers already written: a secret such as "e" then garbles them.
  std::vector<int> starts_minus_ends; // sized at the first occurrence: most texts have none
  for (const std::string& secret : secrets) {
    if (secret.empty())
      continue;
    for (std::size_t at = text.find(secret); at != std::string_view::npos;
         at = text.find(secret, at + 1)) {
      starts_minus_ends.resize(text.size() + 1);
      ++starts_minus_ends[at];
      --starts_minus_ends[at + secret.size()];
    }
  }
  if (starts_minus_ends.empty())
    return std::string(text);
  std::string out;
  out.reserve(text.size());
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool was_covered = depth > 0;
    depth += starts_minus_ends[i];
    if (depth == 0)
      out += text[i];
    else if (!was_covered)
      out += redacted_marker;
  }
  return out;
}

} // namespace sluice
