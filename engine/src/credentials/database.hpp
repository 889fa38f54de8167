#pragma once
// RAII over a SQLCipher connection and its prepared statements. Destructors never throw:
// they run during unwinding after a failed transaction.

#include "sqlcipher_library.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice::credentials {

/// A failed SQLite call: the message and the (extended) result code.
class DatabaseError : public std::runtime_error {
public:
  DatabaseError(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  int code() const noexcept { return code_; }
  /// SQLITE_BUSY or SQLITE_LOCKED, whatever the extended code.
  bool busy() const noexcept {
    return (code_ & 0xff) == SQLITE_BUSY || (code_ & 0xff) == SQLITE_LOCKED;
  }

private:
  int code_;
};

class Database;

/// One prepared statement. Bind parameters by 1-based index, step through rows, read columns.
/// Its connection keeps it when it goes away (reset, bindings cleared) and hands it to the next
/// Statement of the same SQL: preparing costs more than most of the statements do.
class Statement {
public:
  Statement(Database& database, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t number);
  Statement& bind_null(int index);

  /// Advances; true when a row is available, false when done.
  bool step();
  /// Runs a statement that returns no rows.
  void run();

  bool is_null(int column) const;
  std::string text(int column) const;
  std::int64_t integer(int column) const;

private:
  Database& database_;
  sqlite3_stmt* statement_ = nullptr;
};

/// One open connection to a database file.
class Database {
public:
  /// Opens (`create`: or creates) `file`. Nothing is read yet: SQLCipher reads only after
  /// the key is set.
  Database(const std::filesystem::path& file, bool create);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs SQL that returns no rows (may be several statements).
  void exec(const char* sql);
  /// Runs `sql` and returns the first column of its first row, or nullopt for no row.
  std::optional<std::string> query_text(const char* sql);

  void set_busy_timeout(int milliseconds);
  /// True outside a transaction.
  bool autocommit() const;
  /// Rows changed by the last statement.
  int changes() const;

  /// Throws DatabaseError for `code` (SQLITE_OK does nothing). `what` says which operation.
  void check(int code, std::string_view what) const;
  /// From now on a damaged page met by a statement (SQLITE_CORRUPT, SQLITE_NOTADB: a page
  /// that fails SQLCipher's check reads as one of these) is reported as
  /// "<what> (<SQLite's message>)<advice>" rather than as a failed statement.
  void describe_damage(std::string what, std::string advice);

  sqlite3* handle() const noexcept { return db_; }

private:
  friend class Statement;
  /// A kept statement of exactly `sql`, taken out of the keeping, or nullptr.
  sqlite3_stmt* take_prepared(std::string_view sql) noexcept;
  /// Keeps `statement` (reset) for the next Statement of its SQL, or finalises it.
  void keep_prepared(sqlite3_stmt* statement) noexcept;

  sqlite3* db_ = nullptr;
  std::string damage_what_;
  std::string damage_advice_;
  /// Prepared statements not in use, by their SQL (views of the statement's own copy, which
  /// lives as long as the statement). One per text: a second one in use at the same time is
  /// finalised when it goes away. The texts are the program's own, so the count is bounded.
  std::unordered_map<std::string_view, sqlite3_stmt*> kept_;
};

/// A write transaction (`BEGIN IMMEDIATE`: takes the write lock up front, so two writers
/// never both read and then deadlock upgrading). Rolls back unless committed.
class WriteTransaction {
public:
  explicit WriteTransaction(Database& database);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit();

private:
  Database& database_;
  bool open_ = true;
};

} // namespace sluice::credentials
