// Several processes refreshing one rotating refresh token at once, and processes killed with
// SIGKILL at random moments in the middle of refreshing.

#include "credentials_test_support.hpp"
#include "support/postgres_server.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <random>
#include <set>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

extern char** environ;

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

namespace {

pid_t spawn_helper(std::vector<std::string> args) {
  args.insert(args.begin(), SLUICE_CREDENTIALS_HELPER);
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  // The helpers' "needs re-authorisation" notices are expected; keep the test log readable.
  posix_spawn_file_actions_t quiet;
  ::posix_spawn_file_actions_init(&quiet);
  ::posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, argv[0], &quiet, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&quiet);
  REQUIRE(spawned == 0);
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

} // namespace

namespace {

test_support::PostgresServer& postgres_server() {
  static test_support::PostgresServer server;
  return server;
}

// Four processes refresh one connection whose tokens live 60 ms, for 1.2 s: every expiry is
// refreshed by exactly one of them, and none ever sends a refresh token already rotated away.
void refresh_race(const CredentialStoreOptions& options, const TempDir& dir) {
  const auto auth_dir = dir.path / "auth";
  FakeTokenAuthority authority(auth_dir, 60ms);
  open_credential_store(options)->save_new(zoom_connection("zoom-work", authority.authorise()));

  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i)
    children.push_back(spawn_helper({"until", options.database.string(), options.key_file.string(),
                                     auth_dir.string(), "zoom-work", "60", "1200"}));
  for (pid_t child : children) {
    const int status = wait_for(child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(authority.rejections() == 0);
  const auto issued = authority.issuances();
  MESSAGE(issued.size() << " refreshes by 4 processes in 1.2 s with 60 ms tokens");
  CHECK(issued.size() >= 8);
  std::set<std::int64_t> from_versions;
  for (const Issuance& i : issued) {
    CHECK(from_versions.insert(i.from_version).second); // one refresh per stale version
    CHECK(i.stale_expiry_ms <= i.issued_at_ms);         // and only after it expired
  }
  const Connection c = *open_credential_store(options)->find("zoom-work");
  CHECK(c.status == ConnectionStatus::healthy);
  CHECK(c.refresh_token.reveal() == authority.live_refresh_token());
}

} // namespace

TEST_CASE("processes refreshing one connection at once: exactly one refresh per expiry") {
  TempDir dir;
  refresh_race(options_in(dir), dir);
}

TEST_CASE("processes on a PostgreSQL store: exactly one refresh per expiry") {
  TempDir dir;
  CredentialStoreOptions options = options_in(dir);
  const std::string url = postgres_server().create_database("refresh_race");
  options.database_url = Secret(url);
  ::setenv("SLUICE_STORE", url.c_str(), 1); // the helpers' store
  refresh_race(options, dir);
  ::unsetenv("SLUICE_STORE");
}

TEST_CASE("kill -9 at random moments during refreshes never damages the store") {
  TempDir dir;
  const auto options = options_in(dir);
  const auto auth_dir = dir.path / "auth";
  FakeTokenAuthority authority(auth_dir, 1h);
  open_credential_store(options)->save_new(zoom_connection("zoom-work", authority.authorise()));

  std::mt19937 random(std::random_device{}());
  constexpr int rounds = 40;
  int survived = 0;
  int reauthorisation_detected = 0;
  for (int round = 0; round < rounds; ++round) {
    // Three processes refresh and use the token; one of them is killed at a random moment,
    // the others are then stopped cleanly between refreshes.
    std::vector<pid_t> children;
    for (int i = 0; i < 3; ++i)
      children.push_back(
          spawn_helper({"forever", options.database.string(), options.key_file.string(),
                        auth_dir.string(), "zoom-work", "1", "20"}));
    // The kill must land while they refresh, however slowly they start (a sanitizer build on
    // a busy machine can take longer than the whole kill window to reach its first refresh):
    // wait for a refresh of this round, then kill at a random moment after it.
    const std::size_t issued_before = authority.issuances().size();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (authority.issuances().size() == issued_before &&
           std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 120)(random)));
    const std::size_t victim = std::uniform_int_distribution<std::size_t>(0, 2)(random);
    ::kill(children[victim], SIGKILL);
    for (std::size_t i = 0; i < children.size(); ++i)
      if (i != victim)
        ::kill(children[i], SIGTERM);
    for (std::size_t i = 0; i < children.size(); ++i) {
      const int status = wait_for(children[i]);
      if (i == victim)
        CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
      else // stopped cleanly, or found the rotation lost by the victim (exit 3), or stopped
           // before main() installed its handler (slow sanitizer start-up): it never ran
        CHECK(((WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3)) ||
               (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)));
    }
    // The store opens (integrity checked), and the connection is whole.
    auto store = open_credential_store(options);
    const auto c = store->find("zoom-work");
    REQUIRE(c);
    CHECK(c->provider == "zoom");
    CHECK_FALSE(c->access_token.empty());
    if (c->status == ConnectionStatus::healthy &&
        c->refresh_token.reveal() == authority.live_refresh_token()) {
      ++survived;
      continue;
    }
    // The kill landed between the provider's answer and the commit: the stored refresh
    // token is dead. The next refresh must say so clearly, not loop or corrupt anything.
    try {
      store->refresh_under_lock("zoom-work", sluice::RefreshPolicy::after_rejection(c->version),
                                [&](const Connection& stale) { return authority.refresh(stale); });
    } catch (const CredentialError& e) {
      CHECK(e.kind() == CredentialError::Kind::needs_reauthorisation);
      ++reauthorisation_detected;
    }
    // The user re-authorises; the next round starts from a healthy connection.
    store->save_new(zoom_connection("zoom-work", authority.authorise()), /*replace=*/true);
  }
  MESSAGE("kill -9 survival: " << survived << "/" << rounds
                               << " rounds kept a live refresh token; the other "
                               << rounds - survived << " were marked for re-authorisation");
  CHECK(survived + reauthorisation_detected == rounds);
  CHECK(survived >= rounds / 4);
  const auto issued = authority.issuances();
  CHECK(issued.size() >= static_cast<std::size_t>(rounds)); // the children really refreshed
}
