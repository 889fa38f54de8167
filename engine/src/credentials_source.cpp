// Opens the engine's connection store on first use, under a lock; a failed open keeps
// nothing, so the next use tries again.

#include "credentials_source.hpp"

#include <sluice/credentials_store.hpp>

namespace sluice::detail {

CredentialsSource::CredentialsSource(std::shared_ptr<CredentialStore> given,
                                     std::optional<std::filesystem::path> path, Secret url)
    : store_(std::move(given)), path_(std::move(path)), url_(std::move(url)) {
}

CredentialStore& CredentialsSource::get() {
  std::lock_guard lock(mutex_);
  if (!store_) {
    CredentialStoreOptions options = credential_store_options_from_environment(path_);
    if (!url_.empty())
      options.database_url = url_;
    store_ = open_credential_store(options);
  }
  return *store_;
}

} // namespace sluice::detail
