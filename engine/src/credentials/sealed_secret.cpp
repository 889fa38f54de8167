// OpenSSL's EVP interface: AES-256-GCM with a 96-bit random nonce (the size GCM is defined
// for) and the full 128-bit tag. Random nonces are safe here: a store seals a few values per
// token refresh, far below the 2^32 messages per key that random 96-bit nonces allow.

#include "sealed_secret.hpp"

#include "cipher_context.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace sluice::credentials {

namespace {

constexpr unsigned char format_version = 1;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

int length(std::string_view text) {
  return static_cast<int>(text.size());
}

} // namespace

std::string SecretSealer::seal(std::string_view plaintext, std::string_view place) const {
  std::string sealed(1 + nonce_size + plaintext.size() + tag_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  out[0] = format_version;
  unsigned char* nonce = out + 1;
  unsigned char* ciphertext = nonce + nonce_size;
  if (RAND_bytes(nonce, static_cast<int>(nonce_size)) != 1)
    throw CredentialError(CredentialError::Kind::unavailable,
                          "cannot encrypt a secret: no random bytes from OpenSSL");
  const CipherContext context = new_cipher_context();
  int written = 0;
  int final_written = 0;
  if (EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key_.bytes().data(), nonce) !=
          1 ||
      EVP_EncryptUpdate(context.get(), nullptr, &written, bytes(place), length(place)) != 1 ||
      EVP_EncryptUpdate(context.get(), ciphertext, &written, bytes(plaintext), length(plaintext)) !=
          1 ||
      EVP_EncryptFinal_ex(context.get(), ciphertext + written, &final_written) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size),
                          ciphertext + plaintext.size()) != 1)
    throw CredentialError(CredentialError::Kind::unavailable,
                          "cannot encrypt a secret: OpenSSL's AES-256-GCM failed");
  return sealed;
}

std::optional<Secret> SecretSealer::open(std::string_view sealed, std::string_view place) const {
  if (sealed.size() < 1 + nonce_size + tag_size ||
      static_cast<unsigned char>(sealed[0]) != format_version)
    return std::nullopt;
  const unsigned char* nonce = bytes(sealed) + 1;
  const unsigned char* ciphertext = nonce + nonce_size;
  const std::size_t size = sealed.size() - 1 - nonce_size - tag_size;
  std::string plaintext(size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  const CipherContext context = new_cipher_context();
  int written = 0;
  int final_written = 0;
  // The tag is checked by the final call: on a mismatch the plaintext is untrusted, and is
  // wiped (as a Secret) without being returned.
  const bool ok =
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key_.bytes().data(), nonce) ==
          1 &&
      EVP_DecryptUpdate(context.get(), nullptr, &written, bytes(place), length(place)) == 1 &&
      EVP_DecryptUpdate(context.get(), out, &written, ciphertext, static_cast<int>(size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size),
                          const_cast<unsigned char*>(ciphertext + size)) == 1 &&
      EVP_DecryptFinal_ex(context.get(), out + written, &final_written) == 1;
  Secret result(std::move(plaintext));
  if (!ok)
    return std::nullopt; // `result` wipes what was decrypted
  return result;
}

} // namespace sluice::credentials
