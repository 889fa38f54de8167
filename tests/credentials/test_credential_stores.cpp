// The semantics every connection store keeps, run on the SQLCipher file and on PostgreSQL
// (a real server): compare-and-set, one refresh per expiry under contention from threads and
// separate store objects (separate database connections, as processes have), early commits,
// rejected tokens. Then what only the PostgreSQL store has: its key check, secrets sealed per
// connection and column, and `sluice connections migrate`.

#include "credentials_test_support.hpp"

#include "postgres/connection.hpp"
#include "support/postgres_server.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <set>
#include <sys/wait.h>
#include <thread>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

test_support::PostgresServer& postgres_server() {
  static test_support::PostgresServer server;
  return server;
}

// The SQLCipher file in a fresh directory.
struct FileStore : TempDir {
  CredentialStoreOptions options() const { return options_in(*this); }
};

// A fresh database of the test server; the key file in a fresh directory.
struct PostgresStore : TempDir {
  PostgresStore() {
    static int databases = 0;
    url = postgres_server().create_database("credentials_" + std::to_string(++databases));
  }
  CredentialStoreOptions options() const {
    CredentialStoreOptions options = options_in(*this);
    options.database_url = Secret(url);
    return options;
  }
  std::string url;
};

std::shared_ptr<CredentialStore> seeded(const CredentialStoreOptions& options,
                                        FakeTokenAuthority& authority) {
  auto store = open_credential_store(options);
  store->save_new(zoom_connection("zoom-work", authority.authorise()));
  return store;
}

// Runs `sql` on the store's database directly, as someone with access to the server would.
postgres::Result query(const PostgresStore& store, const std::string& sql) {
  postgres::Connection connection(store.url, 10s);
  return connection.exec(sql, 10s);
}

std::string open_error(const CredentialStoreOptions& options) {
  try {
    open_credential_store(options)->list({});
  } catch (const CredentialError& e) {
    CHECK(e.kind() == CredentialError::Kind::unavailable);
    return e.what();
  }
  FAIL("opening the store succeeded");
  return {};
}

} // namespace

TEST_CASE_TEMPLATE("compare-and-set: an update from a stale version is a conflict", Store,
                   FileStore, PostgresStore) {
  Store dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto first = seeded(dir.options(), authority);
  auto second = open_credential_store(dir.options()); // another connection, like a process
  const std::int64_t seen = second->find("zoom-work")->version;

  const Connection updated = first->update_tokens("zoom-work", seen, authority.authorise());
  CHECK(updated.version == seen + 1);
  try {
    second->update_tokens("zoom-work", seen, authority.authorise());
    FAIL("a stale compare-and-set succeeded");
  } catch (const CredentialError& e) {
    CHECK(e.kind() == CredentialError::Kind::conflict);
  }
  CHECK(second->find("zoom-work")->access_token == updated.access_token);
  CHECK_THROWS_AS(first->update_tokens("missing", 1, Tokens{}), CredentialError);
}

TEST_CASE_TEMPLATE("refresh under lock from many threads: one refresh, everybody sees its token",
                   Store, FileStore, PostgresStore) {
  Store dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto shared = seeded(dir.options(), authority);
  {
    Connection c = *shared->find("zoom-work");
    Tokens expired = authority.authorise();
    expired.expires_at = std::chrono::system_clock::now() - 1s;
    shared->update_tokens("zoom-work", c.version, expired);
  }
  std::vector<std::string> seen(12);
  std::vector<std::thread> threads;
  std::atomic<int> errors = 0;
  for (std::size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        // Half share one store object, half open their own (separate SQLite connections).
        auto store = i % 2 ? shared : open_credential_store(dir.options());
        seen[i] =
            store
                ->refresh_under_lock("zoom-work", {},
                                     [&](const Connection& c) { return authority.refresh(c); })
                .access_token.reveal();
      } catch (...) {
        ++errors;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(errors == 0);
  CHECK(authority.issuances().size() == 1);
  CHECK(authority.rejections() == 0);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 1);
  CHECK(shared->find("zoom-work")->refresh_token.reveal() == authority.live_refresh_token());
}

TEST_CASE_TEMPLATE("a refresh commits its tokens from another thread before it returns", Store,
                   FileStore, PostgresStore) {
  // What a provider does with refresh_under_lock_committing: the answer is parsed on an I/O
  // thread, committed there at once, and only then does the thread holding the lock wake.
  Store dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto store = seeded(dir.options(), authority);
  const std::int64_t before = store->find("zoom-work")->version;
  std::string seen_while_waiting;
  const Connection fresh = store->refresh_under_lock_committing(
      "zoom-work", RefreshPolicy::after_rejection(before),
      [&](const Connection& stale, const CredentialStore::CommitTokens& commit) {
        Tokens tokens;
        std::thread io([&] {
          tokens = authority.refresh(stale);
          commit(tokens);
        });
        io.join();
        // Still inside refresh, with the lock held: another connection to the file already
        // reads the new refresh token (it is durable, not waiting for this thread).
        seen_while_waiting =
            open_credential_store(dir.options())->find("zoom-work")->refresh_token.reveal();
        return tokens;
      });
  CHECK(seen_while_waiting == authority.live_refresh_token());
  CHECK(fresh.refresh_token.reveal() == authority.live_refresh_token());
  CHECK(fresh.version == before + 1); // one commit, not two

  // A refresh that does not call commit is stored when it returns, as before.
  const Connection again = store->refresh_under_lock_committing(
      "zoom-work", RefreshPolicy::after_rejection(fresh.version),
      [&](const Connection& stale, const CredentialStore::CommitTokens&) {
        return authority.refresh(stale);
      });
  CHECK(again.refresh_token.reveal() == authority.live_refresh_token());
  CHECK(again.version == fresh.version + 1);
}

TEST_CASE_TEMPLATE("repeated expiries under thread contention: exactly one refresh per expiry",
                   Store, FileStore, PostgresStore) {
  Store dir;
  FakeTokenAuthority authority(dir.path / "auth", 40ms);
  auto shared = seeded(dir.options(), authority);
  std::vector<std::thread> threads;
  std::atomic<int> errors = 0;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      try {
        auto store = i % 2 ? shared : open_credential_store(dir.options());
        const auto end = std::chrono::steady_clock::now() + 500ms;
        while (std::chrono::steady_clock::now() < end)
          store->refresh_under_lock("zoom-work", sluice::RefreshPolicy::expiring_within(0s),
                                    [&](const Connection& c) { return authority.refresh(c); });
      } catch (...) {
        ++errors;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(errors == 0);
  CHECK(authority.rejections() == 0);
  const auto issued = authority.issuances();
  CHECK(issued.size() >= 5);
  std::set<std::int64_t> from_versions;
  for (const Issuance& i : issued) {
    CHECK(from_versions.insert(i.from_version).second); // never twice for one version
    CHECK(i.stale_expiry_ms <= i.issued_at_ms);         // only once it had expired
  }
  CHECK(shared->find("zoom-work")->status == ConnectionStatus::healthy);
}

TEST_CASE_TEMPLATE("a rejected refresh token marks the connection for re-authorisation", Store,
                   FileStore, PostgresStore) {
  Store dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto store = seeded(dir.options(), authority);
  authority.authorise(); // a newer grant elsewhere kills the stored refresh token
  const auto refresh = [&](const Connection& c) { return authority.refresh(c); };
  const std::int64_t version = store->find("zoom-work")->version;
  try {
    store->refresh_under_lock("zoom-work", sluice::RefreshPolicy::after_rejection(version),
                              refresh);
    FAIL("refresh with a dead token succeeded");
  } catch (const CredentialError& e) {
    CHECK(e.kind() == CredentialError::Kind::needs_reauthorisation);
    CHECK(std::string(e.what()).find("authorise the connection again") != std::string::npos);
    CHECK(std::string(e.what()).find(token_marker) == std::string::npos);
  }
  const Connection marked = *store->find("zoom-work");
  CHECK(marked.status == ConnectionStatus::needs_reauthorisation);
  CHECK(marked.status_reason.find("invalid_grant") != std::string::npos);
  int calls = 0;
  CHECK_THROWS_AS(store->refresh_under_lock("zoom-work", {},
                                            [&](const Connection&) {
                                              ++calls;
                                              return Tokens{};
                                            }),
                  CredentialError);
  CHECK(calls == 0);
  // Re-authorising in place makes it healthy again.
  CHECK(store->save_new(zoom_connection("zoom-work", authority.authorise()), true).status ==
        ConnectionStatus::healthy);
}

TEST_CASE_TEMPLATE("a rejected access token is refreshed once, however many callers report it",
                   Store, FileStore, PostgresStore) {
  Store dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto store = seeded(dir.options(), authority);
  const auto refresh = [&](const Connection& c) { return authority.refresh(c); };
  const std::int64_t rejected = store->find("zoom-work")->version;
  const Connection a = store->refresh_under_lock(
      "zoom-work", sluice::RefreshPolicy::after_rejection(rejected), refresh);
  const Connection b = store->refresh_under_lock(
      "zoom-work", sluice::RefreshPolicy::after_rejection(rejected), refresh);
  CHECK(a.version == rejected + 1);
  CHECK(b.version == a.version);
  CHECK(authority.issuances().size() == 1);
}

TEST_CASE("PostgreSQL store: secrets are sealed; the server sees no token, secret or key") {
  PostgresStore dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto store = seeded(dir.options(), authority);
  const Connection c = *store->find("zoom-work");
  CHECK(c.client_secret.reveal().find(token_marker) == 0); // read back whole
  CHECK(c.version == 1);
  CHECK(c.account["email"].as_string() == "ada@example.com");
  store->update_tokens("zoom-work", 1, authority.authorise());

  std::vector<std::string> secrets = {read_file(dir.options().key_file).substr(0, 64),
                                      token_marker};
  const Connection updated = *store->find("zoom-work");
  secrets.push_back(updated.access_token.reveal());
  secrets.push_back(updated.refresh_token.reveal());
  // Every column of every table, as text, and the server's log.
  std::string everything;
  for (const char* table : {"sluice_connections", "sluice_credential_key", "sluice_schema"}) {
    const postgres::Result rows = query(dir, std::string("SELECT t::text FROM ") + table + " t");
    for (int row = 0; row < rows.rows(); ++row)
      everything += std::string(rows.text(row, 0)) + "\n";
  }
  REQUIRE(everything.find("ada@example.com") != std::string::npos); // the scan sees the rows
  everything += postgres_server().log();
  for (const std::string& secret : secrets) {
    CAPTURE(secret.substr(0, 12));
    CHECK(everything.find(secret) == std::string::npos);
  }
}

TEST_CASE("PostgreSQL store: a value moved to another row or column does not open") {
  PostgresStore dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto store = seeded(dir.options(), authority);
  store->save_new(zoom_connection("zoom-home", authority.authorise()));

  SUBCASE("another connection's access token") {
    query(dir, "UPDATE sluice_connections SET access_token = (SELECT access_token FROM "
               "sluice_connections WHERE name = 'zoom-home') WHERE name = 'zoom-work'");
  }
  SUBCASE("the same connection's refresh token") {
    query(dir, "UPDATE sluice_connections SET access_token = refresh_token WHERE name = "
               "'zoom-work'");
  }
  SUBCASE("a flipped byte") {
    query(dir, "UPDATE sluice_connections SET access_token = set_byte(access_token, 20, "
               "get_byte(access_token, 20) # 90) WHERE name = 'zoom-work'");
  }
  try {
    store->find("zoom-work");
    FAIL("a moved or damaged secret was accepted");
  } catch (const CredentialError& e) {
    CHECK(e.kind() == CredentialError::Kind::unavailable);
    CHECK(std::string(e.what()).find("'zoom-work'") != std::string::npos);
    CHECK(std::string(e.what()).find("cannot be decrypted") != std::string::npos);
  }
  CHECK(store->find("zoom-home")->status == ConnectionStatus::healthy); // the others still open
}

TEST_CASE("PostgreSQL store: a machine with another key, or none, is told which key to bring") {
  PostgresStore first;
  FakeTokenAuthority authority(first.path / "auth", 1h);
  seeded(first.options(), authority);

  // A second machine: its own directory, no key file yet.
  TempDir elsewhere;
  CredentialStoreOptions second = first.options();
  second.key_file = elsewhere.path / "credentials.key";
  std::string message = open_error(second);
  CHECK(message.find("a key this machine does not have") != std::string::npos);
  CHECK(message.find(second.key_file.string()) != std::string::npos);
  CHECK_FALSE(fs::exists(second.key_file)); // no new key that would not open anything

  // With a key of its own: named as the wrong one.
  second.key_hex = Secret(std::string(64, 'c'));
  message = open_error(second);
  CHECK(message.find("encrypted with another key than the one from SLUICE_CREDENTIALS_KEY") !=
        std::string::npos);

  // With the first machine's key file copied over: it works.
  second.key_hex = Secret();
  fs::create_directories(second.key_file.parent_path());
  fs::copy_file(first.options().key_file, second.key_file);
  fs::permissions(second.key_file, fs::perms::owner_read | fs::perms::owner_write);
  CHECK(open_credential_store(second)->find("zoom-work")->access_token ==
        open_credential_store(first.options())->find("zoom-work")->access_token);
}

TEST_CASE("PostgreSQL store: a database that cannot be reached is one clear error") {
  PostgresStore dir;
  CredentialStoreOptions options = dir.options();
  options.database_url = Secret("postgresql://sluice:hunter2-secret@127.0.0.1:1/nothing");
  const std::string message = open_error(options);
  CHECK(message.find("cannot reach the credential store") != std::string::npos);
  CHECK(message.find("hunter2-secret") == std::string::npos);
}

TEST_CASE("connections migrate: a SQLCipher file copied into PostgreSQL, as it was") {
  PostgresStore dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  CredentialStoreOptions file = dir.options();
  file.database_url = Secret();
  auto source = seeded(file, authority);
  source->update_tokens("zoom-work", 1, authority.authorise()); // version 2
  source->save_new(zoom_connection("zoom-home", authority.authorise()));
  source->mark_needs_reauthorisation("zoom-home", "revoked at Zoom");
  source->record_use("zoom-work");

  const CredentialStoreCopy copy = copy_credential_store(file, dir.options());
  CHECK(copy.copied == std::vector<std::string>{"zoom-home", "zoom-work"});
  CHECK(copy.kept.empty());
  auto target = open_credential_store(dir.options());
  for (const Connection& before : source->list({})) {
    const Connection after = *target->find(before.name);
    CAPTURE(before.name);
    CHECK(after.version == before.version);
    CHECK(after.access_token == before.access_token);
    CHECK(after.refresh_token == before.refresh_token);
    CHECK(after.client_secret == before.client_secret);
    CHECK(after.status == before.status);
    CHECK(after.status_reason == before.status_reason);
    CHECK(after.scopes == before.scopes);
    CHECK(after.account == before.account);
    CHECK(after.created_at == before.created_at);
    CHECK(after.last_used_at == before.last_used_at);
  }
  // The copy goes on working: a compare-and-set from the copied version.
  CHECK(target->update_tokens("zoom-work", 2, authority.authorise()).version == 3);

  // Again: kept, unless replaced.
  const CredentialStoreCopy again = copy_credential_store(file, dir.options());
  CHECK(again.copied.empty());
  CHECK(again.kept.size() == 2);
  CHECK(target->find("zoom-work")->version == 3);
  const CredentialStoreCopy replaced = copy_credential_store(file, dir.options(), true);
  CHECK(replaced.replaced.size() == 2);
  CHECK(target->find("zoom-work")->version == 2);
}

namespace {

struct Cli {
  int status = 0;
  std::string output; // stdout and stderr
};

// `sluice ARGS` with `environment` prefixed (NAME=value ...), through the shell.
Cli sluice_cli(const TempDir& dir, const std::string& environment, const std::string& args) {
  const fs::path out = dir.path / "cli.txt";
  const int status = std::system(("env -u SLUICE_STORE -u SLUICE_CREDENTIALS_KEY " + environment +
                                  " " + SLUICE_CLI + " " + args + " >" + out.string() + " 2>&1")
                                     .c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out)};
}

} // namespace

TEST_CASE("sluice connections migrate, then --store and SLUICE_STORE read the copy") {
  PostgresStore dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  CredentialStoreOptions file = dir.options();
  file.database_url = Secret();
  seeded(file, authority);
  const std::string files = "SLUICE_CREDENTIALS=" + file.database.string();

  Cli migrated = sluice_cli(dir, files, "connections migrate --to " + dir.url);
  CHECK(migrated.status == 0);
  CHECK(migrated.output.find("Copied 1: zoom-work") != std::string::npos);
  CHECK(migrated.output.find("is unchanged") != std::string::npos);
  migrated = sluice_cli(dir, files, "connections migrate --to " + dir.url);
  CHECK(migrated.output.find("Kept (already there; --replace overwrites them) 1: zoom-work") !=
        std::string::npos);

  // The file is emptied here, so what is listed below comes from the database.
  open_credential_store(file)->remove("zoom-work");
  const Cli flag = sluice_cli(dir, files, "connections --store " + dir.url + " list");
  CHECK(flag.status == 0);
  CHECK(flag.output.find("zoom-work") != std::string::npos);
  const Cli variable = sluice_cli(dir, files + " SLUICE_STORE=" + dir.url, "connections list");
  CHECK(variable.output.find("zoom-work") != std::string::npos);
  const Cli file_only = sluice_cli(dir, files, "connections list");
  CHECK(file_only.output.find("No connections") != std::string::npos);

  // A password on the command line is refused before anything is opened.
  const Cli password =
      sluice_cli(dir, files, "connections --store postgresql://u:hunter2@127.0.0.1:1/x list");
  CHECK(password.status != 0);
  CHECK(password.output.find("~/.pgpass") != std::string::npos);
  CHECK(password.output.find("hunter2") == std::string::npos);
}

TEST_CASE("PostgreSQL store: rekey re-seals everything, refuses old keys and stale writers") {
  PostgresStore dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto stale = seeded(dir.options(), authority); // a process that keeps the old key
  stale->save_new(zoom_connection("zoom-home", authority.authorise()));
  const Connection before = *stale->find("zoom-work");
  const fs::path key_file = dir.options().key_file;
  const std::string old_key = read_file(key_file);

  const std::string said = rekey_credential_store(dir.options());
  CHECK(said.find("copy it") != std::string::npos);
  CHECK(said.find(old_key.substr(0, 64)) == std::string::npos);
  const std::string new_key = read_file(key_file);
  CHECK(new_key != old_key);
  CHECK_FALSE(fs::exists(key_file.string() + ".next"));

  const auto fresh = open_credential_store(dir.options());
  const Connection after = *fresh->find("zoom-work");
  CHECK(after.access_token == before.access_token);
  CHECK(after.refresh_token == before.refresh_token);
  CHECK(after.client_secret == before.client_secret);
  CHECK(after.version == before.version); // not a token change
  CHECK(fresh->list({}).size() == 2);

  // The process still holding the old key can neither write nor read.
  try {
    stale->update_tokens("zoom-work", before.version, authority.authorise());
    FAIL("a write sealed with the old key was accepted");
  } catch (const CredentialError& e) {
    CHECK(std::string(e.what()).find("re-encrypted with a new key") != std::string::npos);
  }
  CHECK_THROWS_AS(stale->find("zoom-work"), CredentialError);
  CHECK(fresh->find("zoom-work")->version == before.version); // nothing was written

  // The old key no longer opens it.
  CredentialStoreOptions old_options = dir.options();
  old_options.key_hex = Secret(old_key.substr(0, 64));
  CHECK(open_error(old_options).find("encrypted with another key") != std::string::npos);

  // A rekey stopped after its commit, before the new key file was moved into place: the next
  // open finds the key in `.next` and finishes the move.
  fs::rename(key_file, key_file.string() + ".next");
  {
    std::ofstream restore(key_file);
    restore << old_key;
  }
  fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write);
  CHECK(open_credential_store(dir.options())->find("zoom-work")->access_token ==
        before.access_token);
  CHECK(read_file(key_file) == new_key);
  CHECK_FALSE(fs::exists(key_file.string() + ".next"));
}
