// The CLI's side of a provider's context: standard output and error, and whether a person
// is at the terminal to answer prompts.

#include "provider_context.hpp"

#include <boost/asio/strand.hpp>

#include <iostream>
#include <unistd.h>

namespace sluice::cli {

std::ostream& CliProviderContext::out() {
  return std::cout;
}

std::ostream& CliProviderContext::err() {
  return std::cerr;
}

boost::asio::any_io_executor CliProviderContext::executor() {
  // A strand: the HTTP client wants its caller's handlers to run one at a time.
  return boost::asio::make_strand(engine_.executor());
}

bool CliProviderContext::interactive() const {
  // Both ends: someone can read what we print and answer what we ask.
  return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1;
}

} // namespace sluice::cli
