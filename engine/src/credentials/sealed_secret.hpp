#pragma once
// Secrets encrypted one by one, for stores whose database is not encrypted as a whole (the
// PostgreSQL store): AES-256-GCM under the store's key, a fresh random nonce per value, and
// "associated data" naming where the value belongs (connection id and column), so a value
// copied into another row or column fails to open instead of being used there.
//
// Layout of a sealed value: version byte (1) | nonce (12) | ciphertext | tag (16).

#include "store_key.hpp"

#include <sluice/credentials.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sluice::credentials {

class SecretSealer {
public:
  explicit SecretSealer(const StoreKey& key) : key_(key) {}

  /// The sealed bytes of `plaintext`, bound to `place`.
  std::string seal(std::string_view plaintext, std::string_view place) const;
  /// The plaintext, or nullopt when `sealed` was not sealed by this key for `place` (another
  /// key, another place, damaged or truncated).
  std::optional<Secret> open(std::string_view sealed, std::string_view place) const;

private:
  StoreKey key_;
};

} // namespace sluice::credentials
