#pragma once
// Shared by the credential tests: a private temporary directory and a seeded store.

#include "fake_token_authority.hpp"
#include "support/files.hpp"

#include <sluice/credentials_store.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace sluice::test {

/// A fresh directory, removed with everything in it at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("sluice-creds-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

/// Store options inside `dir`: `store/credentials.db` with its key file beside it.
inline CredentialStoreOptions options_in(const TempDir& dir) {
  CredentialStoreOptions options;
  options.database = dir.path / "store" / "credentials.db";
  options.key_file = dir.path / "store" / "credentials.key";
  options.busy_timeout = std::chrono::seconds(20);
  return options;
}

/// A Zoom-like connection with the authority's current tokens.
inline NewConnection zoom_connection(const std::string& name, Tokens tokens) {
  NewConnection c;
  c.name = name;
  c.provider = "zoom";
  c.account = Object{{"user_id", "u-1"}, {"email", "ada@example.com"}, {"account_id", "a-1"}};
  c.scopes = {"meeting:write:meeting", "user:read:user"};
  c.grant_type = "authorization_code";
  c.client_id = "client-123";
  c.client_secret = Secret(std::string(token_marker) + "client-secret");
  c.tokens = std::move(tokens);
  return c;
}

using test_support::read_file;

} // namespace sluice::test
