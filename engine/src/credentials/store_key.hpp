#pragma once
// The store's 256-bit key: from SLUICE_CREDENTIALS_KEY (hex) or from a key file, which is
// created with random bytes and mode 0600 on first use. Never from argv, never logged.

#include <sluice/credentials.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace sluice::credentials {

/// 32 random bytes. Wiped when destroyed.
class StoreKey {
public:
  static constexpr std::size_t size = 32;

  /// 32 bytes from the kernel's CSPRNG (getrandom).
  static StoreKey random();
  /// Parses exactly 64 hex digits (surrounding whitespace allowed); throws
  /// `CredentialError{unavailable}` naming `origin` (never the text) otherwise.
  static StoreKey from_hex(std::string_view text, std::string_view origin);

  StoreKey(const StoreKey&) = default;
  StoreKey& operator=(const StoreKey&) = default;
  ~StoreKey();

  /// 64 lowercase hex digits.
  Secret hex() const;
  /// The raw key, for a cipher (sealed_secret.hpp).
  const std::array<std::uint8_t, size>& bytes() const noexcept { return bytes_; }
  /// The SQL that keys a SQLCipher connection with this raw key (no passphrase derivation):
  /// `PRAGMA <pragma> = "x'<hex>'"`.
  Secret pragma(const char* pragma) const;

private:
  StoreKey() = default;
  std::array<std::uint8_t, size> bytes_{};
};

/// Reads a key file, refusing one that group or others may read or write.
StoreKey read_key_file(const std::filesystem::path& file);

/// Writes `key` to `file` (mode 0600) atomically: a temporary file, fsync, then link() into
/// place, which fails rather than replace an existing file. Returns false when `file`
/// already existed (another process won the race; read that one).
bool create_key_file(const std::filesystem::path& file, const StoreKey& key);

/// Writes `key` to `file` (mode 0600), replacing it atomically (temporary file + rename).
void replace_key_file(const std::filesystem::path& file, const StoreKey& key);

} // namespace sluice::credentials
