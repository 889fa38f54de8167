// The credential store on real database files: creation and permissions, every way opening
// can fail, migrations, compare-and-set, refresh under lock from many threads, rekey, and
// a scan proving no token or key is stored or printed in plaintext.

#include "credentials_test_support.hpp"

#include "credentials/database.hpp"
#include "credentials/schema_migrations.hpp"
#include "credentials/store_key.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const fs::path& file) {
  struct stat info {};
  REQUIRE(::stat(file.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

// The message of the CredentialError that opening `options` throws.
std::string open_error(const CredentialStoreOptions& options,
                       CredentialError::Kind kind = CredentialError::Kind::unavailable) {
  try {
    open_credential_store(options);
  } catch (const CredentialError& e) {
    CHECK(e.kind() == kind);
    return e.what();
  }
  FAIL("opening the store succeeded");
  return {};
}

// Creates a store holding one connection; returns the authority's directory.
std::shared_ptr<CredentialStore> seeded(const TempDir& dir, FakeTokenAuthority& authority) {
  auto store = open_credential_store(options_in(dir));
  store->save_new(zoom_connection("zoom-work", authority.authorise()));
  return store;
}

void flip_byte(const fs::path& file, std::uintmax_t offset) {
  std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  io.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  io.seekp(static_cast<std::streamoff>(offset));
  io.write(&c, 1);
}

} // namespace

TEST_CASE("a statement is kept for reuse: its values cleared, its read ended, one per user") {
  TempDir dir;
  const fs::path file = dir.path / "kept.db";
  credentials::Database database(file, /*create=*/true);
  database.exec("PRAGMA journal_mode = WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);");
  {
    credentials::Statement first(database, "SELECT ?1");
    first.bind(1, std::int64_t{5});
    REQUIRE(first.step());
    CHECK(first.integer(0) == 5);
  }
  {
    credentials::Statement again(database, "SELECT ?1"); // the kept one: nothing bound
    REQUIRE(again.step());
    CHECK(again.is_null(0));
  }
  {
    // Left after its first row: kept, it must not go on holding the read it started.
    credentials::Statement partly(database, "SELECT x FROM t ORDER BY x");
    REQUIRE(partly.step());
    CHECK(partly.integer(0) == 1);
  }
  {
    credentials::Database other(file, /*create=*/false);
    other.exec("INSERT INTO t VALUES (3)");
  }
  CHECK(database.query_text("SELECT count(*) FROM t") == "3");
  {
    // The same text twice at once: two statements, each with its own place.
    credentials::Statement outer(database, "SELECT x FROM t ORDER BY x");
    credentials::Statement inner(database, "SELECT x FROM t ORDER BY x");
    REQUIRE(outer.step());
    REQUIRE(inner.step());
    REQUIRE(inner.step());
    CHECK(outer.integer(0) == 1);
    CHECK(inner.integer(0) == 2);
  }
  credentials::Statement reused(database, "SELECT x FROM t ORDER BY x");
  REQUIRE(reused.step());
  CHECK(reused.integer(0) == 1);
}

TEST_CASE("a new store is created private: directory 0700, database and key file 0600") {
  TempDir dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto store = seeded(dir, authority);
  const auto options = options_in(dir);
  CHECK(mode_of(options.database.parent_path()) == 0700);
  CHECK(mode_of(options.database) == 0600);
  CHECK(mode_of(options.key_file) == 0600);
  CHECK(read_file(options.key_file).size() == 65); // 64 hex digits and a newline

  const auto found = store->find("zoom-work");
  REQUIRE(found);
  CHECK(found->provider == "zoom");
  CHECK(found->account["email"] == Value("ada@example.com"));
  CHECK(found->scopes == std::vector<std::string>{"meeting:write:meeting", "user:read:user"});
  CHECK(found->refresh_token.reveal() == authority.live_refresh_token());
  CHECK(found->status == ConnectionStatus::healthy);
  CHECK(found->version == 1);
  CHECK(store->list("zoom").size() == 1);
  CHECK(store->list("other").empty());
  CHECK(store->list().size() == 1); // no filter: a default (null) view must not bind NULL
  CHECK_FALSE(store->find("nope"));

  // Reopening (another process would) sees the same data with the key file.
  store.reset();
  CHECK(open_credential_store(options)->find("zoom-work")->client_id == "client-123");

  CHECK_THROWS_AS(
      open_credential_store(options)->save_new(zoom_connection("zoom-work", authority.authorise())),
      CredentialError);
}

TEST_CASE("a wrong key is one clear error and the file is left untouched") {
  TempDir dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  seeded(dir, authority);
  auto options = options_in(dir);
  const std::string before = read_file(options.database);
  options.key_hex = Secret(std::string(64, 'a'));
  const std::string message = open_error(options);
  CHECK(message.find("cannot decrypt") != std::string::npos);
  CHECK(message.find("the key is wrong or the file is damaged") != std::string::npos);
  CHECK(message.find(std::string(64, 'a')) == std::string::npos);
  CHECK(read_file(options.database) == before);

  options.key_hex = Secret("not hex");
  CHECK(open_error(options).find("exactly 64 hex digits") != std::string::npos);
}

TEST_CASE("a plain SQLite file is refused, not opened as an empty store") {
  TempDir dir;
  const auto options = options_in(dir);
  fs::create_directories(options.database.parent_path());
  {
    credentials::Database plain(options.database, /*create=*/true); // no key: plain SQLite
    plain.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  }
  credentials::create_key_file(options.key_file, credentials::StoreKey::random());
  const std::string before = read_file(options.database);
  CHECK(open_error(options).find("unencrypted SQLite database") != std::string::npos);
  CHECK(read_file(options.database) == before);
}

TEST_CASE("truncated, empty and corrupt files are refused and left untouched") {
  TempDir dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  seeded(dir, authority);
  const auto options = options_in(dir);
  const std::string good = read_file(options.database);
  REQUIRE(good.size() >= 4 * 1024);

  SUBCASE("truncated mid-page") {
    fs::resize_file(options.database, good.size() - 100);
    CHECK(open_error(options).find("truncated") != std::string::npos);
    CHECK(fs::file_size(options.database) == good.size() - 100);
  }
  SUBCASE("truncated to nothing") {
    fs::resize_file(options.database, 0);
    CHECK(open_error(options).find("is empty") != std::string::npos);
    CHECK(fs::file_size(options.database) == 0);
  }
  SUBCASE("a damaged page") {
    flip_byte(options.database, 3 * 1024 + 500);
    const std::string before = read_file(options.database);
    const std::string message = open_error(options);
    CHECK((message.find("damaged") != std::string::npos));
    CHECK(read_file(options.database) == before);
  }
  SUBCASE("a damaged first page") {
    flip_byte(options.database, 200);
    CHECK(open_error(options).find("cannot decrypt") != std::string::npos);
  }
}

TEST_CASE("key file permissions: group or world access is refused; a missing key is explained") {
  TempDir dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  seeded(dir, authority);
  const auto options = options_in(dir);
  ::chmod(options.key_file.c_str(), 0644);
  const std::string message = open_error(options);
  CHECK(message.find("has mode 0644") != std::string::npos);
  CHECK(message.find("chmod 600") != std::string::npos);
  ::chmod(options.key_file.c_str(), 0640);
  CHECK(open_error(options).find("has mode 0640") != std::string::npos);
  ::chmod(options.key_file.c_str(), 0600);
  CHECK_NOTHROW(open_credential_store(options));

  fs::remove(options.key_file);
  CHECK(open_error(options).find("exists but its key file") != std::string::npos);
  CHECK(fs::exists(options.database)); // never replaced by a new, empty store
}

TEST_CASE("migrations: version 0 and version 1 files are upgraded, newer ones refused") {
  TempDir dir;
  const auto options = options_in(dir);
  fs::create_directories(options.database.parent_path());
  const auto key = credentials::StoreKey::random();
  credentials::create_key_file(options.key_file, key);
  const auto make_file = [&](int version) {
    fs::remove(options.database);
    credentials::Database db(options.database, /*create=*/true);
    db.exec(key.pragma("key").reveal().c_str());
    credentials::migrate(db, version);
    if (version == 0) // a keyed file that no migration touched yet; writes its first page
      db.exec("CREATE TABLE probe(x); DROP TABLE probe;");
    if (version == 1)
      db.exec("INSERT INTO connections (name, provider, access_token, created_at, updated_at)"
              " VALUES ('old', 'zoom', 'x', 1, 1)");
  };

  SUBCASE("v0") {
    make_file(0);
    auto store = open_credential_store(options);
    CHECK(store->list().empty());
  }
  SUBCASE("v1 with a connection") {
    make_file(1);
    auto store = open_credential_store(options);
    const auto old = store->find("old");
    REQUIRE(old);
    CHECK(old->provider == "zoom");
    CHECK(old->extra.is_null());
  }
  SUBCASE("newer than this build") {
    make_file(credentials::current_schema_version);
    {
      credentials::Database db(options.database, false);
      db.exec(key.pragma("key").reveal().c_str());
      db.exec("PRAGMA user_version = 99");
    }
    CHECK(open_error(options).find("newer than this Sluice") != std::string::npos);
    return;
  }
  credentials::Database db(options.database, false);
  db.exec(key.pragma("key").reveal().c_str());
  CHECK(credentials::schema_version(db) == credentials::current_schema_version);
}

TEST_CASE("rekey: a new key file, the old key stops working, an interrupted rekey completes") {
  TempDir dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  seeded(dir, authority);
  auto options = options_in(dir);
  const std::string old_key = read_file(options.key_file);
  CHECK(rekey_credential_store(options).find("new key") != std::string::npos);
  CHECK(read_file(options.key_file) != old_key);
  CHECK(mode_of(options.key_file) == 0600);
  CHECK(open_credential_store(options)->find("zoom-work"));

  // Interrupted after re-encrypting, before the new key replaced the old file.
  const std::string new_key = read_file(options.key_file);
  fs::rename(options.key_file, options.key_file.string() + ".next");
  {
    std::ofstream(options.key_file) << old_key;
    ::chmod(options.key_file.c_str(), 0600);
  }
  CHECK(open_credential_store(options)->find("zoom-work"));
  CHECK(read_file(options.key_file) == new_key);
  CHECK_FALSE(fs::exists(options.key_file.string() + ".next"));

  // With the key in the environment, the new key must be given.
  options.key_hex = Secret(new_key.substr(0, 64));
  CHECK_THROWS_AS(rekey_credential_store(options), CredentialError);
  rekey_credential_store(options, Secret(std::string(64, 'b')));
  options.key_hex = Secret(std::string(64, 'b'));
  CHECK(open_credential_store(options)->find("zoom-work"));
}

TEST_CASE("no token, secret or key in plaintext: database, journal, CLI output, errors") {
  TempDir dir;
  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto store = seeded(dir, authority);
  const auto options = options_in(dir);
  const std::string key_hex = read_file(options.key_file).substr(0, 64);
  std::vector<std::string> secrets = {key_hex, token_marker};
  const Connection c = *store->find("zoom-work");
  secrets.push_back(c.access_token.reveal());
  secrets.push_back(c.refresh_token.reveal());
  store.reset();

  // The store runs in WAL mode: a committed change sits in the log until a checkpoint, so
  // rewrite the row that holds the tokens and read the log before this connection closes.
  std::string journal;
  {
    credentials::Database db(options.database, false);
    db.exec(credentials::StoreKey::from_hex(key_hex, "test").pragma("key").reveal().c_str());
    REQUIRE(db.query_text("PRAGMA journal_mode").value_or("") == "wal");
    {
      credentials::WriteTransaction transaction(db);
      db.exec("UPDATE connections SET access_token = access_token || '',"
              " refresh_token = refresh_token || ''");
      transaction.commit();
    }
    journal = read_file(options.database.string() + "-wal");
  }
  REQUIRE(journal.size() > 1024); // it really holds pages, the tokens' among them
  const std::string database = read_file(options.database);

  // Everything the CLI prints about the connection, and the error for a wrong key.
  const fs::path out = dir.path / "cli.txt";
  const std::string cli =
      std::string(SLUICE_CLI) + " connections --credentials " + options.database.string();
  for (const char* args : {" list", " list --json", " show zoom-work", " check zoom-work",
                           " delete zoom-work --revoke"})
    std::system((cli + args + " >>" + out.string() + " 2>&1").c_str());
  std::system(("SLUICE_CREDENTIALS_KEY=" + std::string(64, 'c') + " " + cli + " list >>" +
               out.string() + " 2>&1")
                  .c_str());
  const std::string printed = read_file(out);
  CHECK(printed.find("ada@example.com") != std::string::npos); // the scan sees the output
  CHECK(printed.find("cannot decrypt") != std::string::npos);

  for (const std::string& secret : secrets) {
    CAPTURE(secret.substr(0, 12));
    CHECK(database.find(secret) == std::string::npos);
    CHECK(journal.find(secret) == std::string::npos);
    CHECK(printed.find(secret) == std::string::npos);
  }
  CHECK(database.find("zoom-work") == std::string::npos); // not even names: all encrypted
}
