// File-backed rotation state under flock(), so that threads and processes see one authority.

#include "fake_token_authority.hpp"

#include <algorithm>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace sluice::test {

namespace {

// flock() on a fresh descriptor: excludes other processes and other threads alike (each
// holder opens its own file description).
class FileLock {
public:
  explicit FileLock(const std::filesystem::path& file)
      : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0)
      throw std::runtime_error("cannot lock " + file.string());
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

private:
  int fd_;
};

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Written to a temporary and renamed: a kill never leaves half a state file.
void write_file(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path temporary = file.string() + ".tmp";
  std::ofstream(temporary) << text;
  std::filesystem::rename(temporary, file);
}

std::int64_t millis(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string random_hex() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::ostringstream text;
  text << std::hex << random() << random();
  return text.str();
}

} // namespace

FakeTokenAuthority::FakeTokenAuthority(std::filesystem::path dir,
                                       std::chrono::milliseconds lifetime,
                                       std::chrono::milliseconds latency)
    : dir_(std::move(dir)), lifetime_(lifetime), latency_(latency) {
  std::filesystem::create_directories(dir_);
}

Tokens FakeTokenAuthority::issue(const Connection* from) {
  Tokens tokens;
  const std::string id = random_hex();
  tokens.access_token = Secret(std::string(token_marker) + "access-" + id);
  tokens.refresh_token = Secret(std::string(token_marker) + "refresh-" + id);
  const auto now = std::chrono::system_clock::now();
  tokens.expires_at = now + lifetime_;
  write_file(dir_ / "live", tokens.refresh_token.reveal());
  if (from) {
    std::ofstream(dir_ / "issued", std::ios::app)
        << from->version << ' ' << millis(from->expires_at) << ' ' << millis(now) << '\n';
  }
  return tokens;
}

Tokens FakeTokenAuthority::authorise() {
  FileLock lock(dir_ / "lock");
  return issue(nullptr);
}

Tokens FakeTokenAuthority::refresh(const Connection& connection) {
  std::this_thread::sleep_for(latency_); // the request on its way
  Tokens tokens;
  {
    FileLock lock(dir_ / "lock");
    if (connection.refresh_token.reveal() != read_file(dir_ / "live")) {
      std::ofstream(dir_ / "rejected", std::ios::app) << "x\n";
      throw RefreshTokenRejected("invalid_grant (Invalid Token!)");
    }
    tokens = issue(&connection); // from here on the presented refresh token is dead
  }
  std::this_thread::sleep_for(latency_); // the answer on its way back
  return tokens;
}

std::string FakeTokenAuthority::live_refresh_token() const {
  FileLock lock(dir_ / "lock");
  return read_file(dir_ / "live");
}

std::vector<Issuance> FakeTokenAuthority::issuances() const {
  FileLock lock(dir_ / "lock");
  std::vector<Issuance> result;
  std::istringstream lines(read_file(dir_ / "issued"));
  Issuance issuance;
  while (lines >> issuance.from_version >> issuance.stale_expiry_ms >> issuance.issued_at_ms)
    result.push_back(issuance);
  return result;
}

int FakeTokenAuthority::rejections() const {
  FileLock lock(dir_ / "lock");
  const std::string text = read_file(dir_ / "rejected");
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

} // namespace sluice::test
