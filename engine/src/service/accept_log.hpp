#pragma once
// The embedded run store's accept log: runs accepted by `sluice serve` are appended here, one
// record per run, on the accepting thread before the acceptance is answered, and written into
// the SQLCipher store in batches off the answer's path (logged_run_store.hpp). An append is one
// write(2): once it returns the record is the kernel's, so it survives a crash or `kill -9` of
// the process. It is not synced: a power cut or a crash of the machine may lose the last
// seconds of it (`sluice serve --sync-accepts` syncs each accepted run into the store instead).
//
// A folder beside the store (`runs.db.accepts/`, mode 0700) holds a lock file, which the
// process using the log keeps locked (flock), and segments `<generation>.log`: a header (magic,
// format version, a random 16-byte salt) and records, each
//   length of the plaintext (4 bytes, little-endian) | nonce (12) | ciphertext | tag (16),
// AES-256-GCM under HMAC-SHA256(run store key, "sluice accept log" | salt). Each segment has a
// salt of its own and counts its nonces from zero, so no nonce repeats under one key. Appends go
// to the newest segment; rotate() starts a new one once the records before it are on their way
// into the store, and forget_retired() deletes the old ones when they are there.

#include "../credentials/store_key.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::service {

class AcceptLog {
public:
  /// The folder of the log kept beside the run store `database`.
  static std::filesystem::path folder_for(const std::filesystem::path& database);

  /// Opens the log in `folder` (creating it), locked for this process: nullptr when another
  /// process keeps it locked for `wait`. Segments found there (left by a process that stopped
  /// without writing them into the store) are retired at once: records() reads them. Throws
  /// std::runtime_error naming the file when the folder or a segment cannot be used.
  static std::unique_ptr<AcceptLog> open(const std::filesystem::path& folder,
                                         const credentials::StoreKey& store_key,
                                         std::chrono::milliseconds wait);
  /// Deletes the current segment when it holds no record; unlocks.
  ~AcceptLog();
  AcceptLog(const AcceptLog&) = delete;
  AcceptLog& operator=(const AcceptLog&) = delete;

  /// The records of the retired segments (those found at open(), then those rotate()
  /// retired), oldest first. A record cut short at the end
  /// of a segment (a power cut in the middle of an append, never answered) ends that segment.
  /// Throws CredentialError when a record does not open under the key.
  std::vector<std::string> found_records() const;

  /// Appends one record to the current segment. One thread at a time. Throws std::system_error.
  void append(std::string_view plaintext);
  /// Bytes in the current segment.
  std::uint64_t current_size() const noexcept { return current_size_; }
  /// Appends from now on go to a new segment; the current one is retired.
  void rotate();
  /// Deletes the retired segments: every record in them is in the store.
  void forget_retired();

  const std::filesystem::path& folder() const noexcept { return folder_; }

private:
  struct Cipher;
  AcceptLog(std::filesystem::path folder, const credentials::StoreKey& store_key, int lock_fd);
  std::filesystem::path segment_path(std::uint64_t generation) const;
  void start_segment(std::uint64_t generation);

  std::filesystem::path folder_;
  credentials::StoreKey store_key_;
  int lock_fd_ = -1;
  int segment_fd_ = -1;
  std::uint64_t generation_ = 0;
  std::uint64_t current_size_ = 0;
  std::uint64_t records_in_current_ = 0;
  std::vector<std::uint64_t> retired_;
  std::unique_ptr<Cipher> cipher_;
  std::string buffer_; ///< one record, reused
};

} // namespace sluice::service
