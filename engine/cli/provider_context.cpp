// The CLI's side of a provider's context: standard output and error, and whether a person
// is at the terminal to answer prompts.

#include "provider_context.hpp"

#include <iostream>
#include <unistd.h>

namespace sluice::cli {

std::ostream& CliProviderContext::out() {
  return std::cout;
}

std::ostream& CliProviderContext::err() {
  return std::cerr;
}

bool CliProviderContext::interactive() const {
  // Both ends: someone can read what we print and answer what we ask.
  return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
}

} // namespace sluice::cli
