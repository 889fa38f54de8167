#pragma once
// A stand-in for an OAuth token endpoint with Zoom's rotation rules, shared by threads and
// processes through files: every refresh issues a new refresh token and the one presented
// dies at once; presenting a dead one is `invalid_grant` (RefreshTokenRejected). Each
// issuance is appended to a log, so tests can count refreshes per expiry.

#include <sluice/credentials.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sluice::test {

/// One refresh the authority granted.
struct Issuance {
  std::int64_t from_version = 0;    // the connection version the refresher saw
  std::int64_t stale_expiry_ms = 0; // that version's expires_at
  std::int64_t issued_at_ms = 0;
};

class FakeTokenAuthority {
public:
  /// Uses (and creates) the state files in `dir`. `lifetime` is how long issued access
  /// tokens live; `latency` is spent before issuing (request) and after (response), the
  /// latter being the window in which a kill loses the rotation.
  FakeTokenAuthority(std::filesystem::path dir, std::chrono::milliseconds lifetime,
                     std::chrono::milliseconds latency = std::chrono::milliseconds(0));

  /// Starts a new grant (a fresh authorisation): returns its tokens; earlier ones die.
  Tokens authorise();
  /// The refresh function for `refresh_under_lock`.
  Tokens refresh(const Connection& connection);

  /// The refresh token that currently works.
  std::string live_refresh_token() const;
  std::vector<Issuance> issuances() const;
  /// Rejected refresh attempts (dead tokens presented).
  int rejections() const;

private:
  Tokens issue(const Connection* from);
  std::filesystem::path dir_;
  std::chrono::milliseconds lifetime_;
  std::chrono::milliseconds latency_;
};

/// A marker every issued token carries, for the plaintext scans.
inline constexpr const char* token_marker = "TOKEN-PLAINTEXT-";

} // namespace sluice::test
