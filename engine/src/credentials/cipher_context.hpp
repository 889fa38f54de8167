#pragma once
// An OpenSSL cipher context that frees itself: the sealed secrets (sealed_secret.cpp) and the
// run store's accept log (service/accept_log.cpp) each keep their AES-256-GCM state in one.

#include <openssl/evp.h>

#include <memory>
#include <new>

namespace sluice::credentials {

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* context) const noexcept { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

/// A new context; throws std::bad_alloc when OpenSSL cannot make one.
inline CipherContext new_cipher_context() {
  CipherContext context(EVP_CIPHER_CTX_new());
  if (!context)
    throw std::bad_alloc();
  return context;
}

} // namespace sluice::credentials
