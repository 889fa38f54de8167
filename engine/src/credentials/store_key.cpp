// Key material: parsing, random generation, and key files with strict permissions.

#include "store_key.hpp"
#include "../file_text.hpp"
#include "../hex_text.hpp"

#include <sluice/encoding.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sluice::credentials {

namespace {

[[noreturn]] void fail(const std::string& message) {
  throw CredentialError(CredentialError::Kind::unavailable, message);
}

// Closes a file descriptor on every path out.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0)
      ::close(fd);
  }
};

// Writes the key into a fresh temporary file beside `file`; returns its path.
std::filesystem::path write_temporary(const std::filesystem::path& file, const StoreKey& key) {
  std::filesystem::path temporary = file;
  temporary += ".tmp-" + std::to_string(::getpid());
  ::unlink(temporary.c_str()); // a leftover of a crashed process with our pid
  FileDescriptor out{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
  if (out.fd < 0)
    fail("cannot create key file " + temporary.string() + ": " + std::strerror(errno));
  Secret text(key.hex().reveal() + "\n");
  if (!sluice::detail::write_fully(out.fd, text.reveal()))
    fail("cannot write key file " + temporary.string() + ": " + std::strerror(errno));
  if (::fsync(out.fd) != 0)
    fail("cannot sync key file " + temporary.string() + ": " + std::strerror(errno));
  return temporary;
}

void sync_directory(const std::filesystem::path& file) {
  FileDescriptor dir{::open(file.parent_path().empty() ? "." : file.parent_path().c_str(),
                            O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd >= 0)
    ::fsync(dir.fd);
}

} // namespace

StoreKey StoreKey::random() {
  StoreKey key;
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::getrandom(key.bytes_.data() + done, size - done, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail(std::string("cannot get random bytes for a new key: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return key;
}

StoreKey StoreKey::from_hex(std::string_view text, std::string_view origin) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  const std::string expected = std::string(origin) +
                               " must hold a 256-bit key as exactly 64 hex digits "
                               "(generate one with: openssl rand -hex 32)";
  if (text.size() != 2 * size)
    fail(expected);
  StoreKey key;
  for (std::size_t i = 0; i < size; ++i) {
    const int high = hex_digit_value(text[2 * i]);
    const int low = hex_digit_value(text[2 * i + 1]);
    if (high < 0 || low < 0)
      fail(expected);
    key.bytes_[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return key;
}

StoreKey::~StoreKey() {
  volatile std::uint8_t* bytes = bytes_.data();
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = 0;
}

Secret StoreKey::hex() const {
  return Secret(detail::lower_hex(bytes_.data(), size));
}

Secret StoreKey::pragma(const char* pragma) const {
  return Secret(std::string("PRAGMA ") + pragma + " = \"x'" + hex().reveal() + "'\"");
}

StoreKey read_key_file(const std::filesystem::path& file) {
  FileDescriptor in{::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (in.fd < 0)
    fail("cannot read key file " + file.string() + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(in.fd, &info) != 0)
    fail("cannot stat key file " + file.string() + ": " + std::strerror(errno));
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    fail("key file " + file.string() + " has mode " + mode +
         ": group and others must not access it; run: chmod 600 " + file.string());
  }
  if (!S_ISREG(info.st_mode))
    fail("key file " + file.string() + " is not a regular file");
  std::string text(256, '\0');
  const ssize_t n = ::read(in.fd, text.data(), text.size());
  if (n < 0)
    fail("cannot read key file " + file.string() + ": " + std::strerror(errno));
  text.resize(static_cast<std::size_t>(n));
  const Secret wiped(std::move(text));
  return StoreKey::from_hex(wiped.reveal(), "key file " + file.string());
}

bool create_key_file(const std::filesystem::path& file, const StoreKey& key) {
  const std::filesystem::path temporary = write_temporary(file, key);
  const int linked = ::link(temporary.c_str(), file.c_str());
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST)
      return false;
    fail("cannot create key file " + file.string() + ": " + std::strerror(link_errno));
  }
  sync_directory(file);
  return true;
}

void replace_key_file(const std::filesystem::path& file, const StoreKey& key) {
  const std::filesystem::path temporary = write_temporary(file, key);
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    const int rename_errno = errno;
    ::unlink(temporary.c_str());
    fail("cannot replace key file " + file.string() + ": " + std::strerror(rename_errno));
  }
  sync_directory(file);
}

} // namespace sluice::credentials
