// RAII over SQLCipher; every call goes through the privately loaded function table.

#include "database.hpp"

#include <string>

namespace sluice::credentials {

Database::Database(const std::filesystem::path& file, bool create) {
  const SqlCipherApi& api = sqlcipher();
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  const int code = api.open_v2(file.c_str(), &db_, flags, nullptr);
  if (code != SQLITE_OK) {
    const std::string message = db_ ? api.errmsg(db_) : api.errstr(code);
    api.close_v2(db_); // a failed open may still allocate a handle; close_v2(nullptr) is a no-op
    db_ = nullptr;
    throw DatabaseError("cannot open " + file.string() + ": " + message, code);
  }
  api.extended_result_codes(db_, 1);
}

Database::~Database() {
  for (const auto& [sql, statement] : kept_)
    sqlcipher().finalize(statement);
  // close_v2 defers the close until statements are finalised instead of failing.
  sqlcipher().close_v2(db_);
}

sqlite3_stmt* Database::take_prepared(std::string_view sql) noexcept {
  const auto kept = kept_.find(sql);
  if (kept == kept_.end())
    return nullptr;
  sqlite3_stmt* statement = kept->second;
  kept_.erase(kept);
  return statement;
}

void Database::keep_prepared(sqlite3_stmt* statement) noexcept {
  const SqlCipherApi& api = sqlcipher();
  // Reset ends a read the statement may still hold open (a SELECT not stepped to its end
  // would otherwise pin its snapshot of the WAL); clearing drops the bound values, which may
  // be secrets, and makes a forgotten bind read as NULL rather than the last run's value.
  api.reset(statement);
  api.clear_bindings(statement);
  const char* sql = api.sql(statement);
  try {
    if (sql && kept_.emplace(std::string_view(sql), statement).second)
      return;
  } catch (...) {
    // Out of memory for the map: the statement is prepared again next time.
  }
  api.finalize(statement);
}

void Database::check(int code, std::string_view what) const {
  if (code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE)
    return;
  const int primary = code & 0xff;
  if (!damage_what_.empty() && (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB))
    throw DatabaseError(damage_what_ + " (" + sqlcipher().errmsg(db_) + ")" + damage_advice_, code);
  throw DatabaseError(std::string(what) + ": " + sqlcipher().errmsg(db_), code);
}

void Database::describe_damage(std::string what, std::string advice) {
  damage_what_ = std::move(what);
  damage_advice_ = std::move(advice);
}

void Database::exec(const char* sql) {
  check(sqlcipher().exec(db_, sql, nullptr, nullptr, nullptr), "SQL failed");
}

std::optional<std::string> Database::query_text(const char* sql) {
  Statement statement(*this, sql);
  if (!statement.step())
    return std::nullopt;
  return statement.text(0);
}

void Database::set_busy_timeout(int milliseconds) {
  check(sqlcipher().busy_timeout(db_, milliseconds), "setting the busy timeout");
}

bool Database::autocommit() const {
  return sqlcipher().get_autocommit(db_) != 0;
}

int Database::changes() const {
  return sqlcipher().changes(db_);
}

Statement::Statement(Database& database, std::string_view sql)
    : database_(database), statement_(database.take_prepared(sql)) {
  if (statement_)
    return;
  database_.check(sqlcipher().prepare_v2(database_.handle(), sql.data(),
                                         static_cast<int>(sql.size()), &statement_, nullptr),
                  "preparing a statement");
}

Statement::~Statement() {
  if (statement_)
    database_.keep_prepared(statement_);
}

Statement& Statement::bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies the bytes, so the caller's buffer may go away. An empty
  // view may have a null data(), which SQLite would bind as NULL instead of ''.
  database_.check(sqlcipher().bind_text(statement_, index, text.data() ? text.data() : "",
                                        static_cast<int>(text.size()), SQLITE_TRANSIENT),
                  "binding a parameter");
  return *this;
}

Statement& Statement::bind(int index, std::int64_t number) {
  database_.check(sqlcipher().bind_int64(statement_, index, number), "binding a parameter");
  return *this;
}

Statement& Statement::bind_null(int index) {
  database_.check(sqlcipher().bind_null(statement_, index), "binding a parameter");
  return *this;
}

bool Statement::step() {
  const int code = sqlcipher().step(statement_);
  if (code == SQLITE_ROW)
    return true;
  if (code == SQLITE_DONE)
    return false;
  // Reset so the statement's error state does not leak into the next use.
  sqlcipher().reset(statement_);
  database_.check(code, "SQL failed");
  return false;
}

void Statement::run() {
  while (step()) {
  }
}

bool Statement::is_null(int column) const {
  return sqlcipher().column_type(statement_, column) == SQLITE_NULL;
}

std::string Statement::text(int column) const {
  const auto* bytes = sqlcipher().column_text(statement_, column);
  const int size = sqlcipher().column_bytes(statement_, column);
  return bytes ? std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size))
               : std::string();
}

std::int64_t Statement::integer(int column) const {
  return sqlcipher().column_int64(statement_, column);
}

WriteTransaction::WriteTransaction(Database& database) : database_(database) {
  Statement(database_, "BEGIN IMMEDIATE").run();
}

WriteTransaction::~WriteTransaction() {
  if (open_ && !database_.autocommit()) {
    // Never throws: a failed rollback (e.g. the connection is gone) leaves the journal, which
    // the next opener rolls back.
    sqlcipher().exec(database_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void WriteTransaction::commit() {
  Statement(database_, "COMMIT").run();
  open_ = false;
}

} // namespace sluice::credentials
