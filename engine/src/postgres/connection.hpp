#pragma once
// One connection to PostgreSQL over libpq, driven without blocking: every call sends, then
// waits on the connection's socket with poll() until its deadline, so no query waits longer
// than its timeout (a query past it is cancelled on the server, and the connection is given up
// if even the cancel does not come back). Errors carry the server's SQLSTATE and message,
// never the connection string (which may hold a password).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace sluice::postgres {

using Clock = std::chrono::steady_clock;

/// A failed connect or query. `sqlstate` is the server's five-character code when it sent
/// one (23505: unique violation, 40001: serialization failure, 57014: cancelled...).
class Error : public std::runtime_error {
public:
  enum class Kind {
    query,     ///< the server refused the statement; the connection is fine
    timeout,   ///< no answer within the deadline; the query was cancelled
    connection ///< the connection could not be made or was lost: reconnect and try again
  };
  Error(Kind kind, const std::string& message, std::string sqlstate = {})
      : std::runtime_error(message), kind_(kind), sqlstate_(std::move(sqlstate)) {}
  Kind kind() const noexcept { return kind_; }
  const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
  Kind kind_;
  std::string sqlstate_;
};

/// A statement's parameters, sent as text (PostgreSQL converts them to the column types).
class Params {
public:
  Params& add(std::string_view text);
  Params& add(std::int64_t number);
  Params& add_null();

  int size() const noexcept { return static_cast<int>(values_.size()); }
  /// For libpq: pointers into the values (null for SQL NULL).
  std::vector<const char*> pointers() const;

private:
  std::vector<std::optional<std::string>> values_;
};

/// The rows a statement returned. Text format: columns are read as text or parsed.
class Result {
public:
  explicit Result(pg_result* result) noexcept : result_(result) {}
  Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Result& operator=(Result&& other) noexcept;
  ~Result();
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const noexcept;
  /// Rows an INSERT, UPDATE or DELETE touched.
  std::int64_t affected() const;
  bool is_null(int row, int column) const noexcept;
  std::string_view text(int row, int column) const noexcept;
  std::int64_t integer(int row, int column) const;
  bool flag(int row, int column) const noexcept;

private:
  pg_result* result_ = nullptr;
};

/// A NOTIFY that arrived (LISTEN channel).
struct Notification {
  std::string channel;
  std::string payload;
};

class Connection {
public:
  /// Connects to `conninfo` (a postgres:// URL or key=value pairs) within `timeout`. Throws
  /// Error (Kind::connection) saying why, in libpq's words, which never repeat a password.
  Connection(const std::string& conninfo, std::chrono::milliseconds timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one statement with $1, $2... parameters and returns its rows. Throws Error.
  Result exec(std::string_view sql, const Params& params, std::chrono::milliseconds timeout);
  Result exec(std::string_view sql, std::chrono::milliseconds timeout) {
    return exec(sql, Params(), timeout);
  }
  /// Runs statements without parameters, separated by semicolons (schema changes).
  void exec_script(std::string_view sql, std::chrono::milliseconds timeout);

  /// Waits up to `timeout` for a NOTIFY on a channel this connection LISTENs to.
  std::optional<Notification> wait_notification(std::chrono::milliseconds timeout);

  /// Whether the connection is lost (the next call would fail): a pool replaces it.
  bool broken() const noexcept;
  /// Whether it is ready for a new statement outside any transaction.
  bool idle() const noexcept;

private:
  void send_and_wait(Clock::time_point deadline);
  Result collect(Clock::time_point deadline, std::string_view what);
  void cancel_and_drain();
  bool wait_socket(bool for_write, Clock::time_point deadline);

  pg_conn* connection_ = nullptr;
  bool given_up_ = false;
};

/// `url` with any password replaced by "***", for messages and logs.
std::string redact_url(std::string_view url);
/// Whether `text` names a PostgreSQL database: postgres:// or postgresql://.
bool is_postgres_url(std::string_view text) noexcept;

} // namespace sluice::postgres
