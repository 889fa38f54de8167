// libpq in non-blocking mode: send, flush, then poll() the socket until the answer is whole or
// the deadline passes. A query past its deadline gives the connection up instead of asking the
// server to cancel it: PQcancel opens a second connection and blocks without a time limit,
// which is what a timeout must not do; dropping the connection ends the statement on the
// server as soon as it notices (and rolls back any open transaction).

#include "connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <poll.h>

namespace sluice::postgres {

namespace {

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.remove_suffix(1);
  return std::string(text);
}

// What libpq says about the connection, without trailing newlines. libpq may echo a URL it
// could not parse; the password inside it is cut out.
std::string connection_message(pg_conn* connection, std::string_view conninfo) {
  std::string message = connection ? trimmed(PQerrorMessage(connection)) : "out of memory";
  if (!conninfo.empty()) {
    const std::string redacted = redact_url(conninfo);
    for (std::size_t at; (at = message.find(conninfo)) != std::string::npos;)
      message.replace(at, conninfo.size(), redacted);
  }
  return message.empty() ? "the connection to the database failed" : message;
}

int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 24 * 3600 * 1000));
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

} // namespace

Params& Params::add(std::string_view text) {
  values_.emplace_back(std::string(text));
  return *this;
}

Params& Params::add(std::int64_t number) {
  values_.emplace_back(std::to_string(number));
  return *this;
}

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> Params::pointers() const {
  std::vector<const char*> pointers;
  pointers.reserve(values_.size());
  for (const auto& value : values_)
    pointers.push_back(value ? value->c_str() : nullptr);
  return pointers;
}

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

Result::~Result() {
  PQclear(result_);
}

int Result::rows() const noexcept {
  return result_ ? PQntuples(result_) : 0;
}

std::int64_t Result::affected() const {
  if (!result_)
    return 0;
  const std::string_view text = PQcmdTuples(result_);
  std::int64_t count = 0;
  std::from_chars(text.data(), text.data() + text.size(), count);
  return count;
}

bool Result::is_null(int row, int column) const noexcept {
  return PQgetisnull(result_, row, column) != 0;
}

std::string_view Result::text(int row, int column) const noexcept {
  return {PQgetvalue(result_, row, column),
          static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::int64_t Result::integer(int row, int column) const {
  const std::string_view value = text(row, column);
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (error != std::errc() || end != value.data() + value.size())
    throw Error(Error::Kind::query, "the database answered '" + std::string(value.substr(0, 40)) +
                                        "' where a whole number was expected");
  return number;
}

bool Result::flag(int row, int column) const noexcept {
  return text(row, column) == "t";
}

Connection::Connection(const std::string& conninfo, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  connection_ = PQconnectStart(conninfo.c_str());
  if (!connection_ || PQstatus(connection_) == CONNECTION_BAD) {
    const std::string message = connection_message(connection_, conninfo);
    PQfinish(connection_);
    connection_ = nullptr;
    throw Error(Error::Kind::connection, message);
  }
  // As libpq's documentation says: start as if PQconnectPoll had asked to write.
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      const std::string message = connection_message(connection_, conninfo);
      PQfinish(connection_);
      connection_ = nullptr;
      throw Error(Error::Kind::connection, message);
    }
    if (!wait_socket(state == PGRES_POLLING_WRITING, deadline)) {
      PQfinish(connection_);
      connection_ = nullptr;
      throw Error(Error::Kind::connection,
                  "the database did not answer within " + seconds_text(timeout));
    }
    state = PQconnectPoll(connection_);
  }
  // Notices (NOTICE: relation already exists, WARNING: terminating connection...) would go
  // to stderr; what matters reaches the caller as an error.
  PQsetNoticeProcessor(
      connection_, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(connection_, 1) != 0) {
    const std::string message = connection_message(connection_, {});
    PQfinish(connection_);
    connection_ = nullptr;
    throw Error(Error::Kind::connection, message);
  }
}

Connection::~Connection() {
  PQfinish(connection_);
}

bool Connection::broken() const noexcept {
  return given_up_ || !connection_ || PQstatus(connection_) == CONNECTION_BAD;
}

bool Connection::idle() const noexcept {
  return !broken() && PQtransactionStatus(connection_) == PQTRANS_IDLE;
}

bool Connection::wait_socket(bool for_write, Clock::time_point deadline) {
  pollfd descriptor{};
  descriptor.fd = PQsocket(connection_);
  if (descriptor.fd < 0)
    throw Error(Error::Kind::connection, "the connection to the database was lost");
  descriptor.events = static_cast<short>(for_write ? POLLOUT | POLLIN : POLLIN);
  for (;;) {
    const int ready = ::poll(&descriptor, 1, milliseconds_until(deadline));
    if (ready > 0)
      return true;
    if (ready == 0)
      return false;
    if (errno != EINTR)
      throw Error(Error::Kind::connection, "waiting for the database failed");
  }
}

void Connection::send_and_wait(Clock::time_point deadline) {
  for (;;) {
    const int flushed = PQflush(connection_);
    if (flushed == 0)
      return;
    if (flushed < 0)
      throw Error(Error::Kind::connection, connection_message(connection_, {}));
    if (!wait_socket(true, deadline)) {
      given_up_ = true;
      throw Error(Error::Kind::timeout, "the database took the statement too slowly");
    }
    // The server may be answering (an error, a notice) while we still send: read it, or both
    // sides wait on full buffers.
    if (PQconsumeInput(connection_) == 0)
      throw Error(Error::Kind::connection, connection_message(connection_, {}));
  }
}

Result Connection::collect(Clock::time_point deadline, std::string_view what) {
  std::optional<Result> last;
  std::optional<Error> failure;
  for (;;) {
    while (PQisBusy(connection_) != 0) {
      if (!wait_socket(false, deadline)) {
        given_up_ = true;
        throw Error(Error::Kind::timeout,
                    "the database did not answer " + std::string(what) + " in time");
      }
      if (PQconsumeInput(connection_) == 0)
        throw Error(Error::Kind::connection, connection_message(connection_, {}));
    }
    pg_result* raw = PQgetResult(connection_);
    if (!raw)
      break;
    Result result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
        status == PGRES_NONFATAL_ERROR) {
      if (!failure) {
        const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
        // The server ending the session (class 57: shutting down, starting up; class 08) may
        // arrive as an error before libpq has seen the socket close.
        const std::string_view code = state ? state : "";
        const bool lost = PQstatus(connection_) == CONNECTION_BAD || code.starts_with("57") ||
                          code.starts_with("08");
        failure.emplace(lost ? Error::Kind::connection : Error::Kind::query,
                        trimmed(PQresultErrorMessage(raw)), state ? state : "");
      }
      continue;
    }
    last = std::move(result);
  }
  if (failure)
    throw *failure;
  if (PQstatus(connection_) == CONNECTION_BAD)
    throw Error(Error::Kind::connection, connection_message(connection_, {}));
  return last ? std::move(*last) : Result(nullptr);
}

Result Connection::exec(std::string_view sql, const Params& params,
                        std::chrono::milliseconds timeout) {
  if (broken())
    throw Error(Error::Kind::connection, "the connection to the database was lost");
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string statement(sql);
  const std::vector<const char*> values = params.pointers();
  if (PQsendQueryParams(connection_, statement.c_str(), params.size(), nullptr, values.data(),
                        nullptr, nullptr, 0) == 0)
    throw Error(Error::Kind::connection, connection_message(connection_, {}));
  send_and_wait(deadline);
  return collect(deadline, "a statement");
}

void Connection::exec_script(std::string_view sql, std::chrono::milliseconds timeout) {
  if (broken())
    throw Error(Error::Kind::connection, "the connection to the database was lost");
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string statements(sql);
  if (PQsendQuery(connection_, statements.c_str()) == 0)
    throw Error(Error::Kind::connection, connection_message(connection_, {}));
  send_and_wait(deadline);
  collect(deadline, "a script");
}

std::optional<Notification> Connection::wait_notification(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (PQconsumeInput(connection_) == 0)
      throw Error(Error::Kind::connection, connection_message(connection_, {}));
    if (PGnotify* notify = PQnotifies(connection_)) {
      Notification notification{notify->relname, notify->extra ? notify->extra : ""};
      PQfreemem(notify);
      return notification;
    }
    if (!wait_socket(false, deadline))
      return std::nullopt;
  }
}

bool is_postgres_url(std::string_view text) noexcept {
  return text.starts_with("postgres://") || text.starts_with("postgresql://");
}

std::string redact_url(std::string_view url) {
  std::string text(url);
  if (is_postgres_url(text)) {
    // postgres://user:password@host...: the password is between the first ':' after the
    // scheme and the last '@' before the path.
    const std::size_t start = text.find("://") + 3;
    const std::size_t path = text.find_first_of("/?", start);
    const std::size_t at = text.rfind('@', path == std::string::npos ? text.size() : path);
    if (at != std::string::npos && at >= start) {
      const std::size_t colon = text.find(':', start);
      if (colon != std::string::npos && colon < at)
        text.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // password=... as a query parameter (postgres://...?password=x) or a key=value pair.
  for (std::size_t at = 0; (at = text.find("password=", at)) != std::string::npos;) {
    const bool starts_key = at == 0 || text[at - 1] == '?' || text[at - 1] == '&' ||
                            text[at - 1] == ' ' || text[at - 1] == '\t';
    at += 9;
    if (!starts_key)
      continue;
    std::size_t end = at;
    if (end < text.size() && text[end] == '\'') {
      end = text.find('\'', end + 1);
      end = end == std::string::npos ? text.size() : end + 1;
    } else {
      end = text.find_first_of("& \t", at);
      if (end == std::string::npos)
        end = text.size();
    }
    text.replace(at, end - at, "***");
    at += 3;
  }
  return text;
}

} // namespace sluice::postgres
