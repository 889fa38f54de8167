// The --max-* options, one per limit. One option per limit rather than one repeatable
// `--limit NAME=VALUE`: each shows in --help with its default, CLI11 checks its value on its
// own, and the engine's messages can name the exact option that raises what was hit.

#include "limit_options.hpp"

#include <CLI/CLI.hpp>

#include <cstddef>
#include <limits>
#include <string>

namespace sluice::cli {

namespace {

// A default as its --help shows it: "8MiB", "64KiB", else bytes.
std::string size_text(std::size_t bytes) {
  constexpr std::size_t kib = 1024;
  if (bytes >= kib * kib && bytes % (kib * kib) == 0)
    return std::to_string(bytes / (kib * kib)) + "MiB";
  if (bytes >= kib && bytes % kib == 0)
    return std::to_string(bytes / kib) + "KiB";
  return std::to_string(bytes);
}

// A limit of 0 would refuse everything. Checked on the text too: CLI11 reads "-1" into an
// unsigned option as its largest value.
CLI::Range at_least_one() {
  return CLI::Range(std::size_t{1}, std::numeric_limits<std::size_t>::max());
}
const CLI::Validator not_negative(
    [](std::string& text) {
      return text.find('-') == std::string::npos ? std::string() : "must be at least 1";
    },
    "", "not negative");

// Sizes take a unit: `16MiB`, `512KiB`, `100MB` (powers of 1000 for kB, MB..., of 1024 for
// KiB, MiB..., as the units say), or plain bytes.
void add_size(CLI::App& command, const std::string& name, std::size_t& value,
              const std::string& what) {
  command.add_option(name, value, what)
      ->transform(CLI::AsSizeValue(/*kb_is_1000=*/true))
      // A transform goes before those already added: the sign is checked first.
      ->transform(not_negative)
      ->check(at_least_one())
      ->option_text("SIZE");
}

void add_count(CLI::App& command, const std::string& name, std::size_t& value,
               const std::string& what) {
  command.add_option(name, value, what)
      ->check(not_negative)
      ->check(at_least_one())
      ->option_text("N");
}

} // namespace

void add_limit_options(CLI::App& command, Limits& limits, LimitScope scope) {
  const Limits defaults;
  add_size(command, "--max-input-bytes", limits.input_bytes,
           "Largest pipeline file to read (default " + size_text(defaults.input_bytes) + ")");
  add_size(command, "--max-expanded-bytes", limits.expanded_bytes,
           "Most text a pipeline may hold once YAML aliases are expanded (default " +
               size_text(defaults.expanded_bytes) + ")");
  add_count(command, "--max-nodes", limits.nodes,
            "Most nodes in one pipeline (default " + std::to_string(defaults.nodes) + ")");
  add_size(command, "--max-template-bytes", limits.template_bytes,
           "Longest template (a string with '{{') in a pipeline (default " +
               size_text(defaults.template_bytes) + ")");
  if (scope != LimitScope::run)
    return;
  add_count(command, "--max-for-each-items", limits.for_each_items,
            "Most elements in one for_each list (default " +
                std::to_string(defaults.for_each_items) + ")");
  add_size(command, "--max-output-bytes", limits.output_bytes,
           "Largest output of one node, approximately (default " +
               size_text(defaults.output_bytes) + ")");
}

} // namespace sluice::cli
