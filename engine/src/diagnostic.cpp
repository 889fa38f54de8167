// How load problems read as text: `file:line:col: error: message` with an optional hint,
// and LoadError's message, which is all of them, one after the other.

#include <sluice/diagnostic.hpp>
#include <sluice/encoding.hpp>

#include <string>

namespace sluice {

namespace {

std::string join_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const Diagnostic& diagnostic : diagnostics) {
    if (!text.empty())
      text += '\n';
    text += diagnostic.to_string();
  }
  return text;
}

} // namespace

std::string Diagnostic::to_string() const {
  // The file's name comes from outside (a command line, a folder listing).
  std::string text = printable(file);
  if (mark.line > 0) {
    text += ':';
    text += std::to_string(mark.line);
    text += ':';
    text += std::to_string(mark.column);
  }
  text += ": error: ";
  text += message;
  if (!hint.empty()) {
    text += "\n  hint: ";
    text += hint;
  }
  return text;
}

LoadError::LoadError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {
}

} // namespace sluice
