// The out-of-line parts of credentials.hpp: key functions anchor the vtables and type info
// in libsluice-sdk, so plugins and the engine agree on one copy.

#include <sluice/credentials.hpp>

#include <optional>

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

Connection CredentialStore::refresh_under_lock_committing(
    std::string_view name, const RefreshPolicy& policy,
    const std::function<Tokens(const Connection&, const CommitTokens& commit)>& refresh) {
  return refresh_under_lock(name, policy, [&refresh](const Connection& stale) {
    std::optional<Tokens> committed;
    const CommitTokens commit = [&committed](const Tokens& tokens) { committed = tokens; };
    Tokens returned = refresh(stale, commit);
    return committed ? std::move(*committed) : std::move(returned);
  });
}

} // namespace sluice
