#pragma once
// The client's TLS settings: one OpenSSL context per set of trusted CAs, per-connection peer
// checks.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace sluice::http::detail {

// TLS 1.2+, verification against the system CAs plus `ca_file` when not empty (unless
// `verify` is off). Throws std::invalid_argument when ca_file cannot be loaded.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const std::string& ca_file,
                                                            bool verify);

// Before the handshake: SNI for a DNS name, and the name (or IP literal) the certificate
// must carry when `verify` is on.
boost::system::error_code prepare_tls_peer(SSL* ssl, const std::string& host, bool verify);

// Why certificate verification failed ("self-signed certificate", "hostname mismatch"...),
// or "" when it did not.
std::string verify_failure(SSL* ssl);

} // namespace sluice::http::detail
