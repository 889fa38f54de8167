// An embedder that links plain SQLite (Debian's 3.40) and uses the credential store
// (SQLCipher 3.4.1, i.e. SQLite 3.15.2) in one process: each library answers for itself.

#include "credentials_test_support.hpp"

#include <sqlite3.h> // plain SQLite, linked directly

#include <doctest/doctest.h>

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Sanitizer runtimes refuse RTLD_DEEPBIND, which is what keeps the two apart.
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

TEST_CASE("plain SQLite and the SQLCipher store work side by side in one process" *
          doctest::skip(sanitized)) {
  TempDir dir;
  // The embedder's own database, through the directly linked SQLite.
  sqlite3* plain = nullptr;
  const std::string plain_file = (dir.path / "app.db").string();
  REQUIRE(sqlite3_open(plain_file.c_str(), &plain) == SQLITE_OK);
  REQUIRE(sqlite3_exec(plain, "CREATE TABLE t(x); INSERT INTO t VALUES (42);", nullptr, nullptr,
                       nullptr) == SQLITE_OK);

  FakeTokenAuthority authority(dir.path / "auth", 1h);
  auto store = open_credential_store(options_in(dir));
  store->save_new(zoom_connection("zoom-work", authority.authorise()));
  CHECK(store->find("zoom-work")->provider == "zoom");

  // Each library reports its own version: no symbol was bound to the other.
  const std::string linked = sqlite3_libversion();
  const std::string cipher = credential_store_sqlite_version();
  CHECK(linked.rfind("3.40", 0) == 0);
  CHECK(cipher == "3.15.2");
  CHECK(linked != cipher);

  // The plain database is a plain SQLite file, still readable through the linked library.
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(plain, "SELECT x FROM t", -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  CHECK(sqlite3_column_int(statement, 0) == 42);
  sqlite3_finalize(statement);
  sqlite3_close(plain);
  CHECK(read_file(plain_file).rfind("SQLite format 3", 0) == 0);
  CHECK(read_file(options_in(dir).database).rfind("SQLite format 3", 0) != 0); // encrypted
}
