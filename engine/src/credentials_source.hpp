#pragma once
// The engine's connection store, opened on first use: most pipelines use no connection,
// and opening reads a key file and checks the database, which they should not pay for (or
// fail on).

#include <sluice/credentials.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

namespace sluice::detail {

class CredentialsSource {
public:
  CredentialsSource(std::shared_ptr<CredentialStore> given,
                    std::optional<std::filesystem::path> path, Secret url);
  /// The store; throws CredentialError{unavailable} when it cannot be opened. A failed
  /// open is retried by the next call (the user may have fixed the key file meanwhile).
  CredentialStore& get();

private:
  std::mutex mutex_;
  std::shared_ptr<CredentialStore> store_;
  std::optional<std::filesystem::path> path_;
  Secret url_;
};

} // namespace sluice::detail
