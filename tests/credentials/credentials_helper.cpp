// A child process for the multi-process tests: opens the store like any Sluice process and
// refreshes one connection against the fake authority.
//
//   credentials_helper until STORE KEY_FILE AUTH_DIR NAME LIFETIME_MS DURATION_MS
//     refresh whenever the token has expired, for DURATION_MS
//   credentials_helper forever STORE KEY_FILE AUTH_DIR NAME LATENCY_MS WORK_MS
//     force a refresh, then work (sleep) WORK_MS with the token, until killed; SIGTERM ends
//     the loop cleanly between refreshes
// With SLUICE_STORE set, the store is that PostgreSQL database (STORE is then unused).
// Exit status: 0 done, 3 the connection needs re-authorisation, 1 other errors.

#include "fake_token_authority.hpp"

#include <sluice/credentials_store.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

namespace {
volatile std::sig_atomic_t stop_requested = 0;
extern "C" void request_stop(int) {
  stop_requested = 1;
}
} // namespace

int main(int argc, char** argv) {
  using namespace std::chrono;
  if (argc < 7) {
    std::cerr << "usage: see credentials_helper.cpp\n";
    return 2;
  }
  std::signal(SIGTERM, request_stop); // first, so a stop is never a kill
  const std::string mode = argv[1];
  sluice::CredentialStoreOptions options;
  options.database = argv[2];
  options.key_file = argv[3];
  if (const char* url = std::getenv("SLUICE_STORE"))
    options.database_url = sluice::Secret(url);
  const std::string name = argv[5];
  try {
    const auto store = sluice::open_credential_store(options);
    if (mode == "until" && argc == 8) {
      sluice::test::FakeTokenAuthority authority(argv[4], milliseconds(std::stoi(argv[6])));
      const auto refresh = [&](const sluice::Connection& c) { return authority.refresh(c); };
      const auto end = steady_clock::now() + milliseconds(std::stoi(argv[7]));
      while (steady_clock::now() < end) {
        store->refresh_under_lock(name, sluice::RefreshPolicy::expiring_within(seconds(0)),
                                  refresh);
        std::this_thread::sleep_for(milliseconds(1));
      }
      return 0;
    }
    if (mode == "forever" && argc == 8) {
      const milliseconds work(std::stoi(argv[7]));
      sluice::test::FakeTokenAuthority authority(argv[4], hours(1),
                                                 milliseconds(std::stoi(argv[6])));
      const auto refresh = [&](const sluice::Connection& c) { return authority.refresh(c); };
      while (!stop_requested) {
        const auto current = store->find(name);
        store->refresh_under_lock(name, sluice::RefreshPolicy::after_rejection(current->version),
                                  refresh);
        std::this_thread::sleep_for(work);
      }
      return 0;
    }
  } catch (const sluice::CredentialError& e) {
    std::cerr << "credentials_helper: " << e.what() << '\n';
    return e.kind() == sluice::CredentialError::Kind::needs_reauthorisation ? 3 : 1;
  } catch (const std::exception& e) {
    std::cerr << "credentials_helper: " << e.what() << '\n';
    return 1;
  }
  return 2;
}
