// Fuzz target: what `sluice serve` reads back from its accept log after a crash
// (engine/src/service/accept_log.cpp, logged_run_store.cpp): a segment file of any bytes reads
// as records or fails with CredentialError naming the file; a record's bytes read as a run, an
// ending, or an error; and whatever is appended reads back whole.

#include "credentials/store_key.hpp"
#include "service/accept_log.hpp"
#include "service/logged_run_store.hpp"

#include <sluice/credentials.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using sluice::credentials::StoreKey;
using sluice::service::AcceptLog;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_accept_log: %s\n", what);
  std::abort();
}

const StoreKey& key() {
  static const StoreKey key = StoreKey::from_hex(std::string(64, '7'), "fuzz");
  return key;
}

const fs::path& folder() {
  static const fs::path folder =
      fs::temp_directory_path() / ("sluice-fuzz-accept-log-" + std::to_string(::getpid()));
  return folder;
}

std::unique_ptr<AcceptLog> open_log() {
  auto log = AcceptLog::open(folder(), key(), std::chrono::milliseconds(0));
  if (!log)
    broken("the log's lock was taken, though only this process uses it");
  return log;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // A record's bytes: a run, an ending, or an error.
  try {
    (void)sluice::service::run_from_accept_record(input);
  } catch (const std::exception&) {
  }
  try {
    (void)sluice::service::ending_from_record(input);
  } catch (const std::exception&) {
  }

  // A segment of these bytes, as a crashed server would have left it.
  fs::remove_all(folder());
  fs::create_directories(folder());
  std::ofstream(folder() / "1.log", std::ios::binary).write(input.data(), std::streamoff(size));
  try {
    auto log = open_log();
    // Records that open were sealed by this key (a seed of the corpus is such a segment):
    // each reads as a run, an ending, or an error.
    for (const std::string& record : log->found_records()) {
      try {
        (void)sluice::service::run_from_accept_record(record);
      } catch (const std::exception&) {
        try {
          (void)sluice::service::ending_from_record(record);
        } catch (const std::exception&) {
        }
      }
    }
  } catch (const sluice::CredentialError& e) {
    if (std::string_view(e.what()).find("1.log") == std::string_view::npos)
      broken("an unreadable segment's error does not name its file");
  }

  // What is appended reads back whole, after the log is closed and opened again.
  fs::remove_all(folder());
  {
    auto log = open_log();
    log->append(input);
    log->append("after");
  }
  {
    auto log = open_log();
    const auto records = log->found_records();
    if (records.size() != 2 || records[0] != input || records[1] != "after")
      broken("appended records did not read back as written");
    log->forget_retired();
  }
  fs::remove_all(folder());
  return 0;
}
