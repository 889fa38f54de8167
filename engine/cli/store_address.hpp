#pragma once
// `--store URL`: the PostgreSQL database many Sluice processes share (runs, API tokens,
// connections). Shared by every command that reads a store.

#include <sluice/credentials.hpp>
#include <sluice/credentials_store.hpp>

#include <CLI/CLI.hpp>

#include <string>

namespace sluice::cli {

/// Adds `--store` to `command`, read into `url`.
void add_store_address_option(CLI::App& command, std::string& url, const std::string& what);

/// The address given with --store, refused (std::invalid_argument) when it holds a password:
/// a command line can be read by every user of the machine. Empty stays empty (then
/// SLUICE_STORE, read where the store is opened, decides).
Secret store_address(const std::string& url);

/// Where the connections are: `--credentials PATH` and `--store URL` over the environment.
CredentialStoreOptions connection_store_options(const std::string& credentials,
                                                const std::string& store);

} // namespace sluice::cli
