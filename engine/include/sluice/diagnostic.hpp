#pragma once
/// @file
/// Problems found while loading or validating a pipeline, with their source positions.

#include <sluice/export.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace sluice {

/// A position in a pipeline file, 1-based. `line == 0` means unknown (a pipeline built in
/// code has no positions).
struct SourceMark {
  int line = 0;
  int column = 0;
  friend bool operator==(const SourceMark&, const SourceMark&) = default;
};

/// One problem: `file:line:col: error: message` plus an optional hint on the next line.
struct SLUICE_API Diagnostic {
  std::string file;
  SourceMark mark;
  std::string message;
  std::string hint;

  /// `file:line:col: error: message` and, when there is a hint, `\n  hint: ...`.
  std::string to_string() const;
};

/// Thrown when a pipeline cannot be loaded; carries every problem found, in file order.
class SLUICE_API LoadError : public std::runtime_error {
public:
  explicit LoadError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const noexcept { return diagnostics_; }

private:
  std::vector<Diagnostic> diagnostics_;
};

} // namespace sluice
