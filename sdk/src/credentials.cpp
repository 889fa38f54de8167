// The out-of-line parts of credentials.hpp: key functions anchor the vtables and type info
// in libsluice-sdk, so plugins and the engine agree on one copy.

#include <sluice/credentials.hpp>

namespace sluice {

std::string_view to_string(ConnectionStatus status) noexcept {
  switch (status) {
  case ConnectionStatus::healthy:
    return "healthy";
  case ConnectionStatus::needs_reauthorisation:
    return "needs_reauthorisation";
  }
  return "unknown";
}

CredentialError::CredentialError(Kind kind, const std::string& message)
    : std::runtime_error(message), kind_(kind) {
}

CredentialStore::~CredentialStore() = default;

} // namespace sluice
