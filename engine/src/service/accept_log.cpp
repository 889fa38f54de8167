// Segments, their lock and their encryption (accept_log.hpp). OpenSSL's EVP interface with one
// cipher context per segment, keyed once: a record costs a nonce change and one pass of
// AES-GCM, not the context's set-up (most of what encrypting a small record would cost).

#include "accept_log.hpp"

#include "../credentials/cipher_context.hpp"
#include "../file_text.hpp"

#include <sluice/credentials.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace sluice::service {

namespace {

constexpr std::string_view magic = "SLCACCPT";
constexpr unsigned char format_version = 1;
constexpr std::size_t salt_offset = 16; // after the magic, the version and 7 reserved bytes
constexpr std::size_t salt_size = 16;
constexpr std::size_t check_size = 16;
constexpr std::size_t header_size = salt_offset + salt_size + check_size;
constexpr std::size_t length_size = 4;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::size_t record_overhead = length_size + nonce_size + tag_size;
/// Records are runs' inputs: far below this. A larger length is damage.
constexpr std::uint32_t max_record = 1u << 30;

using Key = std::array<unsigned char, 32>;

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

CredentialError damaged(const std::filesystem::path& path, const std::string& what) {
  return CredentialError(CredentialError::Kind::unavailable,
                         "the accept log segment " + path.string() + " " + what +
                             "; it holds runs accepted but not yet written into the run store. "
                             "Move it out of the way to start without them");
}

Key derive_key(const credentials::StoreKey& store_key, const unsigned char* salt) {
  std::string message = "sluice accept log";
  message.append(reinterpret_cast<const char*>(salt), salt_size);
  Key key{};
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), store_key.bytes().data(), static_cast<int>(store_key.bytes().size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), key.data(),
            &size) ||
      size != key.size())
    throw std::runtime_error("cannot derive the accept log's key: OpenSSL's HMAC failed");
  return key;
}

// What a header says to check that a key is the one a segment was written under.
std::array<unsigned char, check_size> key_check(const Key& key) {
  static constexpr std::string_view label = "key check";
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(label.data()), label.size(), digest.data(), &size);
  std::array<unsigned char, check_size> check{};
  std::copy_n(digest.begin(), check_size, check.begin());
  return check;
}

void put_nonce(unsigned char* nonce, std::uint64_t counter) {
  std::memset(nonce, 0, nonce_size);
  for (std::size_t i = 0; i < 8; ++i)
    nonce[4 + i] = static_cast<unsigned char>(counter >> (8 * i));
}

// The generation of a segment's file name ("17.log"), if it is one.
std::optional<std::uint64_t> generation_of(const std::string& name) {
  if (name.size() < 5 || !name.ends_with(".log"))
    return std::nullopt;
  std::uint64_t generation = 0;
  const char* end = name.data() + name.size() - 4;
  const auto [stop, error] = std::from_chars(name.data(), end, generation);
  if (error != std::errc() || stop != end)
    return std::nullopt;
  return generation;
}

// The records of one segment (the file's text).
void read_records(const std::string& text, const std::filesystem::path& path,
                  const credentials::StoreKey& store_key, std::vector<std::string>& records) {
  if (text.size() < header_size)
    return; // created, its header never written: nothing was appended to it
  if (std::string_view(text).substr(0, magic.size()) != magic ||
      static_cast<unsigned char>(text[magic.size()]) != format_version)
    throw damaged(path, "is not an accept log of this version of Sluice");
  const auto* header = reinterpret_cast<const unsigned char*>(text.data());
  const Key key = derive_key(store_key, header + salt_offset);
  const auto check = key_check(key);
  if (!std::equal(check.begin(), check.end(), header + salt_offset + salt_size))
    throw damaged(path, "was written under another key than the run store's");
  const credentials::CipherContext context = credentials::new_cipher_context();
  if (EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr) != 1)
    throw std::runtime_error("cannot read the accept log: OpenSSL's AES-256-GCM failed");
  std::size_t at = header_size;
  while (text.size() - at >= record_overhead) {
    const auto* record = reinterpret_cast<const unsigned char*>(text.data() + at);
    const std::uint32_t size = std::uint32_t(record[0]) | std::uint32_t(record[1]) << 8 |
                               std::uint32_t(record[2]) << 16 | std::uint32_t(record[3]) << 24;
    if (size > max_record || text.size() - at - record_overhead < size)
      break; // cut short: the last append never finished
    const unsigned char* nonce = record + length_size;
    const unsigned char* ciphertext = nonce + nonce_size;
    std::string plaintext(size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
    int written = 0;
    int final_written = 0;
    const bool opened =
        EVP_DecryptInit_ex(context.get(), nullptr, nullptr, nullptr, nonce) == 1 &&
        EVP_DecryptUpdate(context.get(), nullptr, &written, header, header_size) == 1 &&
        EVP_DecryptUpdate(context.get(), out, &written, ciphertext, static_cast<int>(size)) == 1 &&
        EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size),
                            const_cast<unsigned char*>(ciphertext + size)) == 1 &&
        EVP_DecryptFinal_ex(context.get(), out + written, &final_written) == 1;
    at += record_overhead + size;
    if (!opened) {
      if (at == text.size())
        break; // the last record, written in part before a power cut
      throw damaged(path, "is damaged (a record in its middle does not open)");
    }
    records.push_back(std::move(plaintext));
  }
}

} // namespace

struct AcceptLog::Cipher {
  credentials::CipherContext context = credentials::new_cipher_context();
  std::array<unsigned char, header_size> header{};
};

std::filesystem::path AcceptLog::folder_for(const std::filesystem::path& database) {
  std::filesystem::path folder = database;
  folder += ".accepts";
  return folder;
}

AcceptLog::AcceptLog(std::filesystem::path folder, const credentials::StoreKey& store_key,
                     int lock_fd)
    : folder_(std::move(folder)), store_key_(store_key), lock_fd_(lock_fd) {
}

std::unique_ptr<AcceptLog> AcceptLog::open(const std::filesystem::path& folder,
                                           const credentials::StoreKey& store_key,
                                           std::chrono::milliseconds wait) {
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
    fail("cannot create the accept log folder", folder);
  const std::filesystem::path lock_path = folder / "lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0)
    fail("cannot open", lock_path);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() >= deadline) {
      ::close(lock_fd);
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::unique_ptr<AcceptLog> log(new AcceptLog(folder, store_key, lock_fd));
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error))
    if (auto generation = generation_of(entry.path().filename().string()))
      log->retired_.push_back(*generation);
  if (error)
    throw std::system_error(error, "cannot list the accept log folder " + folder.string());
  std::sort(log->retired_.begin(), log->retired_.end());
  log->start_segment(log->retired_.empty() ? 1 : log->retired_.back() + 1);
  return log;
}

AcceptLog::~AcceptLog() {
  if (segment_fd_ >= 0) {
    ::close(segment_fd_);
    if (records_in_current_ == 0)
      ::unlink(segment_path(generation_).c_str());
  }
  ::close(lock_fd_); // and with it the lock
}

std::filesystem::path AcceptLog::segment_path(std::uint64_t generation) const {
  return folder_ / (std::to_string(generation) + ".log");
}

void AcceptLog::start_segment(std::uint64_t generation) {
  auto cipher = std::make_unique<Cipher>();
  std::copy(magic.begin(), magic.end(), cipher->header.begin());
  cipher->header[magic.size()] = format_version;
  unsigned char* salt = cipher->header.data() + salt_offset;
  if (RAND_bytes(salt, static_cast<int>(salt_size)) != 1)
    throw std::runtime_error("cannot start an accept log segment: no random bytes from OpenSSL");
  const Key key = derive_key(store_key_, salt);
  const auto check = key_check(key);
  std::copy(check.begin(), check.end(), salt + salt_size);
  if (EVP_EncryptInit_ex(cipher->context.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr) !=
      1)
    throw std::runtime_error("cannot start an accept log segment: OpenSSL's AES-256-GCM failed");
  const std::filesystem::path path = segment_path(generation);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    fail("cannot create the accept log segment", path);
  if (!sluice::detail::write_fully(
          fd, {reinterpret_cast<const char*>(cipher->header.data()), header_size})) {
    const int error = errno;
    ::close(fd);
    ::unlink(path.c_str());
    errno = error;
    fail("cannot write the accept log segment", path);
  }
  if (segment_fd_ >= 0)
    ::close(segment_fd_);
  segment_fd_ = fd;
  generation_ = generation;
  current_size_ = header_size;
  records_in_current_ = 0;
  cipher_ = std::move(cipher);
}

std::vector<std::string> AcceptLog::found_records() const {
  std::vector<std::string> records;
  for (std::uint64_t generation : retired_) {
    const std::filesystem::path path = segment_path(generation);
    read_records(sluice::detail::read_at_most(path, std::numeric_limits<std::size_t>::max()), path,
                 store_key_, records);
  }
  return records;
}

void AcceptLog::append(std::string_view plaintext) {
  if (plaintext.size() > max_record)
    throw std::length_error("a run too large for the accept log");
  buffer_.resize(record_overhead + plaintext.size());
  auto* record = reinterpret_cast<unsigned char*>(buffer_.data());
  const auto size = static_cast<std::uint32_t>(plaintext.size());
  for (std::size_t i = 0; i < length_size; ++i)
    record[i] = static_cast<unsigned char>(size >> (8 * i));
  unsigned char* nonce = record + length_size;
  unsigned char* ciphertext = nonce + nonce_size;
  put_nonce(nonce, records_in_current_);
  EVP_CIPHER_CTX* context = cipher_->context.get();
  int written = 0;
  int final_written = 0;
  if (EVP_EncryptInit_ex(context, nullptr, nullptr, nullptr, nonce) != 1 ||
      EVP_EncryptUpdate(context, nullptr, &written, cipher_->header.data(), header_size) != 1 ||
      EVP_EncryptUpdate(context, ciphertext, &written,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context, ciphertext + written, &final_written) != 1 ||
      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size),
                          ciphertext + plaintext.size()) != 1)
    throw std::runtime_error("cannot encrypt a run for the accept log: OpenSSL's AES-256-GCM "
                             "failed");
  if (!sluice::detail::write_fully(segment_fd_, buffer_)) {
    const int error = errno;
    // Part of the record may be there (disk full): cut it off, so that the records appended
    // after it are not read as its continuation.
    if (::ftruncate(segment_fd_, static_cast<off_t>(current_size_)) != 0) {
      // Nothing more to do: reading stops at the damaged record, and says so.
    }
    errno = error;
    fail("cannot write the accept log segment", segment_path(generation_));
  }
  current_size_ += buffer_.size();
  ++records_in_current_;
}

void AcceptLog::rotate() {
  const std::uint64_t previous = generation_;
  start_segment(generation_ + 1);
  retired_.push_back(previous);
}

void AcceptLog::forget_retired() {
  for (std::uint64_t generation : retired_)
    if (::unlink(segment_path(generation).c_str()) != 0 && errno != ENOENT)
      fail("cannot delete the accept log segment", segment_path(generation));
  retired_.clear();
}

} // namespace sluice::service
