#pragma once
// A run store in a fresh temporary directory, opened as often as a test likes (each open is
// what a restarted server sees; a logged one once at a time, as one server holds its log).

#include "service/sqlcipher_run_store.hpp"

#include "support/temp_dir.hpp"

#include <memory>

namespace sluice::service::test {

struct StoreFiles {
  test_support::TempDir dir;
  CredentialStoreOptions options() const {
    CredentialStoreOptions o;
    o.database = dir / "data" / "runs.db";
    o.key_file = dir / "data" / "runs.key";
    o.busy_timeout = std::chrono::seconds(20);
    return o;
  }
  std::unique_ptr<RunStore> open() const { return open_run_store(options()); }
};

/// The same files as `sluice serve` opens them: the accept log held, accepting into it.
struct LoggedStoreFiles : StoreFiles {
  std::unique_ptr<RunStore> open() const { return open_served_run_store(options(), true); }
};

} // namespace sluice::service::test
