// See postgres_server.hpp. Processes are started with fork/exec; everything the child needs is
// prepared before the fork (the test may have threads, so the child only calls what is safe
// after a fork: open, dup2, setgid, setuid, exec).

#include "support/postgres_server.hpp"

#include "support/files.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <grp.h>
#include <netinet/in.h>
#include <optional>
#include <pwd.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace test_support {

namespace fs = std::filesystem;

namespace {

std::string find_bin() {
  if (const char* bin = std::getenv("SLUICE_TEST_POSTGRES_BIN"); bin && *bin)
    return bin;
  std::vector<fs::path> found;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ignored))
    if (fs::exists(entry.path() / "bin" / "initdb"))
      found.push_back(entry.path() / "bin");
  if (found.empty())
    throw std::runtime_error("no PostgreSQL server found in /usr/lib/postgresql: install "
                             "postgresql-15 (.ci/install-deps does), or set "
                             "SLUICE_TEST_POSTGRES_BIN");
  // Newest version: compare as numbers (9.6 < 15).
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::stod(a.parent_path().filename().string()) <
           std::stod(b.parent_path().filename().string());
  });
  return found.back().string();
}

unsigned short free_port() {
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (socket < 0 || ::bind(socket, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(socket);
  return ntohs(address.sin_port);
}

struct User {
  uid_t uid;
  gid_t gid;
};

// Starts argv with stdout and stderr appended to `log`, as `user` when given.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log,
            const std::optional<User>& user) {
  std::vector<char*> pointers;
  for (const std::string& arg : argv)
    pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (user &&
        (::setgroups(0, nullptr) != 0 || ::setgid(user->gid) != 0 || ::setuid(user->uid) != 0))
      ::_exit(126);
    const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      ::close(out);
    }
    const int nothing = ::open("/dev/null", O_RDONLY);
    if (nothing >= 0)
      ::dup2(nothing, STDIN_FILENO);
    ::execve(pointers[0], pointers.data(), environ);
    ::_exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::optional<User> postgres_user_if_root() {
  if (::geteuid() != 0)
    return std::nullopt;
  const passwd* entry = ::getpwnam("postgres");
  if (!entry)
    throw std::runtime_error("running as root, and PostgreSQL refuses to: there is no "
                             "`postgres` user to run it as (installing postgresql-15 makes one)");
  return User{entry->pw_uid, entry->pw_gid};
}

} // namespace

PostgresServer::PostgresServer() : bin_(find_bin()) {
  const std::optional<User> user = postgres_user_if_root();
  as_postgres_user_ = user.has_value();
  if (user) {
    if (::chown(dir_.path().c_str(), user->uid, user->gid) != 0)
      throw std::runtime_error("cannot hand " + dir_.path().string() + " to the postgres user");
  }
  fs::permissions(dir_.path(), fs::perms::owner_all);
  const int initdb =
      wait_for(spawn({bin_ + "/initdb", "-D", (dir_ / "data").string(), "-U", "sluice",
                      "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                     dir_ / "initdb.log", user));
  if (initdb != 0)
    throw std::runtime_error("initdb failed (" + std::to_string(initdb) +
                             "): " + read_file(dir_ / "initdb.log"));
  port_ = free_port();
  start();
}

PostgresServer::~PostgresServer() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGINT); // fast shutdown
  for (int i = 0; i < 150; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void PostgresServer::start() {
  const std::optional<User> user = postgres_user_if_root();
  pid_ = spawn({bin_ + "/postgres", "-D", (dir_ / "data").string(), "-p", std::to_string(port_),
                "-k", dir_.path().string(), "-c", "listen_addresses=127.0.0.1", "-c",
                "max_connections=200", "-c", "shared_buffers=32MB"},
               dir_ / "server.log", user);
  wait_until_ready();
}

void PostgresServer::crash() {
  // SIGQUIT, not SIGKILL: the server's own processes end with it, so the next start is not
  // refused for shared memory they still hold.
  ::kill(pid_, SIGQUIT);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string PostgresServer::log() const {
  return read_file(dir_ / "server.log");
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://sluice@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

void PostgresServer::wait_until_ready() {
  const std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                               " user=sluice dbname=postgres connect_timeout=2";
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("PostgreSQL exited while starting: " + log());
    }
    if (std::chrono::steady_clock::now() > give_up)
      throw std::runtime_error("PostgreSQL did not answer within 60 s: " + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string PostgresServer::create_database(const std::string& name) {
  PGconn* connection = PQconnectdb(("host=127.0.0.1 port=" + std::to_string(port_) +
                                    " user=sluice dbname=postgres connect_timeout=10")
                                       .c_str());
  std::string error;
  if (PQstatus(connection) != CONNECTION_OK)
    error = PQerrorMessage(connection);
  else {
    PGresult* result = PQexec(connection, ("CREATE DATABASE \"" + name + "\"").c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK)
      error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(connection);
  if (!error.empty())
    throw std::runtime_error("CREATE DATABASE " + name + ": " + error);
  return url(name);
}

} // namespace test_support
