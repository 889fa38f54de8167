// Shared by the SQLCipher and PostgreSQL stores: both keep a connection in the same shape.

#include "connection_fields.hpp"

#include "../message_text.hpp"

#include <sstream>

namespace sluice::credentials {

using Kind = CredentialError::Kind;

std::int64_t to_millis(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

Timestamp from_millis(std::int64_t ms) {
  return Timestamp(std::chrono::duration_cast<Timestamp::duration>(std::chrono::milliseconds(ms)));
}

std::int64_t now_millis() {
  return to_millis(std::chrono::system_clock::now());
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string text;
  for (const std::string& scope : scopes) {
    if (!text.empty())
      text += ' ';
    text += scope;
  }
  return text;
}

std::vector<std::string> split_scopes(const std::string& text) {
  std::vector<std::string> scopes;
  std::istringstream words(text);
  for (std::string scope; words >> scope;)
    scopes.push_back(scope);
  return scopes;
}

ConnectionStatus status_of(std::string_view text) {
  return text == "healthy" ? ConnectionStatus::healthy : ConnectionStatus::needs_reauthorisation;
}

bool is_stale(const Connection& c, const RefreshPolicy& policy) {
  if (policy.rejected_version && *policy.rejected_version == c.version)
    return true;
  return c.access_token.empty() ||
         c.expires_at <= std::chrono::system_clock::now() + policy.min_validity;
}

std::string in_quotes(std::string_view name) {
  return detail::single_quoted(name);
}

CredentialError not_found(std::string_view name) {
  return CredentialError(Kind::not_found, "no connection named " + in_quotes(name) +
                                              " (see: sluice connections list)");
}

CredentialError already_exists(std::string_view name) {
  return CredentialError(Kind::already_exists,
                         "a connection named " + in_quotes(name) +
                             " already exists; choose another name or delete it first");
}

CredentialError changed_meanwhile(std::string_view name) {
  return CredentialError(Kind::conflict, "connection " + in_quotes(name) +
                                             " was changed by someone else meanwhile; re-read it");
}

CredentialError version_conflict(std::string_view name, std::int64_t stored,
                                 std::int64_t expected) {
  return CredentialError(Kind::conflict, "connection " + in_quotes(name) + " is at version " +
                                             std::to_string(stored) + ", not " +
                                             std::to_string(expected) + "; re-read it and retry");
}

CredentialError needs_authorising_again(std::string_view name, std::string_view reason) {
  return CredentialError(Kind::needs_reauthorisation, "connection " + in_quotes(name) +
                                                          " needs to be authorised again (" +
                                                          std::string(reason) + ")");
}

std::string rejected_refresh_reason(const RefreshTokenRejected& rejection) {
  return std::string("the provider rejected the refresh token: ") + rejection.what() +
         "; authorise the connection again";
}

} // namespace sluice::credentials
