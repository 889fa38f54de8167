// The one place a store address from the command line is checked.

#include "store_address.hpp"

#include <stdexcept>

namespace sluice::cli {

namespace {

// Whether a database URL carries a password: postgresql://USER:PASSWORD@HOST/... or a
// password=... parameter.
bool holds_password(const std::string& url) {
  if (url.find("password=") != std::string::npos)
    return true;
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos)
    return false;
  const std::size_t start = scheme + 3;
  const std::string authority = url.substr(start, url.find_first_of("/?", start) - start);
  const std::size_t at = authority.rfind('@');
  return at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos;
}

} // namespace

void add_store_address_option(CLI::App& command, std::string& url, const std::string& what) {
  command.add_option("--store", url,
                     "A PostgreSQL database for " + what +
                         ", shared by many Sluice processes: postgresql://USER@HOST:PORT/DATABASE "
                         "(default: SLUICE_STORE; a password goes in ~/.pgpass or SLUICE_STORE, "
                         "never on the command line)");
}

Secret store_address(const std::string& url) {
  if (holds_password(url))
    throw std::invalid_argument(
        "--store: a password on the command line can be read by every user of this machine; "
        "put it in ~/.pgpass (or the file PGPASSFILE names), or pass the whole URL in "
        "SLUICE_STORE");
  return Secret(url);
}

CredentialStoreOptions connection_store_options(const std::string& credentials,
                                                const std::string& store) {
  CredentialStoreOptions options = credential_store_options_from_environment(
      credentials.empty() ? std::nullopt : std::optional<std::filesystem::path>(credentials));
  if (!store.empty())
    options.database_url = store_address(store);
  return options;
}

} // namespace sluice::cli
