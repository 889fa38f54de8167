// PKCE verifiers, their S256 challenges and OAuth `state` values, drawn from OpenSSL's
// random generator so that they cannot be guessed.

#include "pkce.hpp"

#include "encoding.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace sluice::zoom {

namespace {
std::string random_bytes(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("the system's random number generator failed");
  return bytes;
}
} // namespace

Pkce make_pkce() {
  Pkce pkce;
  pkce.verifier = Secret(base64url(random_bytes(32)));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(pkce.verifier.reveal().data()),
         pkce.verifier.reveal().size(), digest);
  pkce.challenge =
      base64url(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  return pkce;
}

std::string make_state() {
  return base64url(random_bytes(16));
}

} // namespace sluice::zoom
