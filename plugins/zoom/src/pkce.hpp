#pragma once
// PKCE (RFC 7636) and the OAuth `state`: random values from OpenSSL's CSPRNG.

#include <sluice/credentials.hpp>

#include <string>

namespace sluice::zoom {

struct Pkce {
  Secret verifier;       ///< 43 base64url characters (32 random bytes)
  std::string challenge; ///< base64url(SHA-256(verifier)), method S256
};

Pkce make_pkce();
/// An unguessable `state` value (binds the redirect to this flow: RFC 6749 §10.12).
std::string make_state();

} // namespace sluice::zoom
