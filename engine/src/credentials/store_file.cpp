// Opening the store file: classify what is on disk before asking SQLCipher, because
// SQLCipher reports a wrong key, a plain SQLite file and a damaged page all as
// "file is encrypted or is not a database".

#include "store_file.hpp"

#include "schema_migrations.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sluice::credentials {

namespace {

// SQLCipher 3's default page size; every complete store file is a multiple of it.
constexpr std::uintmax_t cipher_page_size = 1024;
constexpr const char* decrypt_failure_marker = "cannot decrypt ";

// WAL: a commit is a few appended frames, and once they are written a killed process has
// lost nothing, so the window in which a rotated refresh token can be lost (from the
// provider's answer to the commit) is the time to write them, not a journal's four fsyncs
// (docs/architecture.md, "Credentials").
// FULL: the WAL is synced at each commit, so a commit survives a power cut as well.
// secure_delete: freed pages holding old tokens are zeroed.
constexpr const char* store_pragmas =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;";

[[noreturn]] void fail(const std::string& message) {
  throw CredentialError(CredentialError::Kind::unavailable, message);
}

// "the credential store /path"
std::string named(const StoreFileKind& kind, const std::filesystem::path& file) {
  return "the " + std::string(kind.name) + " " + file.string();
}

std::string damaged_advice(const StoreFileKind& kind) {
  return "; the store was not modified. Restore it from a backup, or " +
         std::string(kind.start_over);
}

void check_file_shape(const std::filesystem::path& file, const StoreFileKind& kind) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(file, error);
  if (error)
    fail("cannot read " + named(kind, file) + ": " + error.message());
  const std::string damaged = damaged_advice(kind);
  if (size == 0)
    fail(named(kind, file) + " is empty (truncated)" + damaged);
  char header[16] = {};
  std::ifstream(file, std::ios::binary).read(header, sizeof header);
  if (std::memcmp(header, "SQLite format 3", 16) == 0)
    fail(file.string() + " is an unencrypted SQLite database, not a Sluice " +
         std::string(kind.name) + "; point " + std::string(kind.location) +
         " elsewhere, or move the file away");
  if (size % cipher_page_size != 0)
    fail(named(kind, file) + " is truncated (" + std::to_string(size) +
         " bytes is not a whole number of pages)" + damaged);
}

void migrate_credentials(Database& database) {
  migrate(database);
}

} // namespace

const StoreFileKind credential_store_file = {"credential store",
                                             "move it away and add your connections again",
                                             "SLUICE_CREDENTIALS_KEY",
                                             "SLUICE_CREDENTIALS_KEY_FILE",
                                             "--credentials or SLUICE_CREDENTIALS",
                                             &migrate_credentials,
                                             /*check_pages_on_open=*/true};

std::unique_ptr<Database> open_store_file(const std::filesystem::path& file, const StoreKey& key,
                                          const std::string& key_origin, int busy_timeout_ms,
                                          const StoreFileKind& kind) {
  check_file_shape(file, kind);
  std::unique_ptr<Database> database;
  try {
    database = std::make_unique<Database>(file, /*create=*/false);
  } catch (const DatabaseError& e) {
    fail("cannot open " + named(kind, file) + ": " + e.what());
  }
  database->set_busy_timeout(busy_timeout_ms);
  {
    const Secret pragma = key.pragma("key");
    database->exec(pragma.reveal().c_str());
  }
  // Plain SQLite ignores unknown pragmas silently: no row means no SQLCipher.
  std::optional<std::string> cipher;
  try {
    cipher = database->query_text("PRAGMA cipher_version");
  } catch (const DatabaseError&) {
  }
  if (!cipher || cipher->empty())
    fail("libsqlcipher.so.0 did not answer PRAGMA cipher_version: the library found is plain "
         "SQLite, not SQLCipher; install SQLCipher (Debian: libsqlcipher0)");
  try {
    database->query_text("SELECT count(*) FROM sqlite_master");
  } catch (const DatabaseError& e) {
    if (e.busy())
      throw CredentialError(CredentialError::Kind::busy,
                            named(kind, file) + " stayed locked by another process; try again");
    fail(decrypt_failure_marker + file.string() + " with the key from " + key_origin +
         ": the key is wrong or the file is damaged. Check the key (" +
         std::string(kind.key_variable) + " or " + std::string(kind.key_file_variable) +
         "); if it is right, restore the store from a backup. The store was not modified");
  }
  if (kind.check_pages_on_open) {
    std::string verdict;
    try {
      verdict = database->query_text("PRAGMA quick_check").value_or("");
    } catch (const DatabaseError& e) {
      verdict = e.what();
    }
    if (verdict != "ok")
      fail(named(kind, file) + " is damaged (integrity check: " + verdict + ")" +
           damaged_advice(kind));
  }
  database->describe_damage(named(kind, file) + " is damaged", damaged_advice(kind));
  database->exec(store_pragmas);
  return database;
}

bool is_decrypt_failure(const CredentialError& error) {
  return std::string_view(error.what()).starts_with(decrypt_failure_marker);
}

bool create_store_file(const std::filesystem::path& file, const StoreKey& key,
                       const StoreFileKind& kind) {
  std::filesystem::path temporary = file;
  temporary += ".init-" + std::to_string(::getpid());
  ::unlink(temporary.c_str()); // a leftover of a crashed process with our pid
  {
    // Create it ourselves so it is 0600 from the first byte; SQLite gives its journal the
    // same mode as the database.
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
      fail("cannot create " + named(kind, temporary) + ": " + std::strerror(errno));
    ::close(fd);
  }
  try {
    Database database(temporary, /*create=*/false);
    const Secret pragma = key.pragma("key");
    database.exec(pragma.reveal().c_str());
    if (database.query_text("PRAGMA cipher_version").value_or("").empty())
      fail("libsqlcipher.so.0 did not answer PRAGMA cipher_version: the library found is "
           "plain SQLite, not SQLCipher; install SQLCipher (Debian: libsqlcipher0)");
    database.exec(store_pragmas);
    kind.migrate(database);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  const int linked = ::link(temporary.c_str(), file.c_str());
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked != 0 && link_errno != EEXIST)
    fail("cannot create " + named(kind, file) + ": " + std::strerror(link_errno));
  return linked == 0;
}

} // namespace sluice::credentials
