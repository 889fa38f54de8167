#pragma once
// What every CredentialStore does the same way, whatever keeps its rows: how scopes and
// times are stored, when a connection is stale, and the messages users see.

#include <sluice/credentials.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::credentials {

/// Times as milliseconds since the Unix epoch.
std::int64_t to_millis(Timestamp t);
Timestamp from_millis(std::int64_t ms);
std::int64_t now_millis();

/// Scopes as one space-separated string, as OAuth writes them.
std::string join_scopes(const std::vector<std::string>& scopes);
std::vector<std::string> split_scopes(const std::string& text);

/// "healthy" / "needs_reauthorisation" and back.
ConnectionStatus status_of(std::string_view text);

/// Whether `policy` wants `connection`'s tokens refreshed.
bool is_stale(const Connection& connection, const RefreshPolicy& policy);

/// The errors of every store, worded once.
CredentialError not_found(std::string_view name);
CredentialError already_exists(std::string_view name);
CredentialError changed_meanwhile(std::string_view name);
CredentialError version_conflict(std::string_view name, std::int64_t stored, std::int64_t expected);
CredentialError needs_authorising_again(std::string_view name, std::string_view reason);
/// The status reason recorded when the provider rejected the refresh token.
std::string rejected_refresh_reason(const RefreshTokenRejected& rejection);

/// `name` in single quotes, escaped for a message.
std::string in_quotes(std::string_view name);

} // namespace sluice::credentials
