// OpenSSL configuration. Host-name checks use OpenSSL's own matcher (SSL_set1_host,
// X509_VERIFY_PARAM_set1_ip_asc) so the verify callback stays the default one.

#include "tls.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace sluice::http::detail {
namespace asio = boost::asio;

namespace {

boost::system::error_code last_ssl_error() {
  return {static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()};
}

} // namespace

std::unique_ptr<asio::ssl::context> make_tls_context(const std::string& ca_file, bool verify) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  ::SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  if (!verify) {
    context->set_verify_mode(asio::ssl::verify_none);
    return context;
  }
  context->set_default_verify_paths();
  if (!ca_file.empty()) {
    boost::system::error_code error;
    context->load_verify_file(ca_file, error);
    if (error)
      throw std::invalid_argument("cannot load the CA file '" + ca_file + "': " + error.message());
  }
  context->set_verify_mode(asio::ssl::verify_peer);
  return context;
}

boost::system::error_code prepare_tls_peer(SSL* ssl, const std::string& host, bool verify) {
  boost::system::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  if (not_an_address) {
    // RFC 6066 forbids IP literals in SNI, so only names get it.
    if (::SSL_set_tlsext_host_name(ssl, host.c_str()) != 1)
      return last_ssl_error();
    if (verify && ::SSL_set1_host(ssl, host.c_str()) != 1)
      return last_ssl_error();
  } else if (verify) {
    if (::X509_VERIFY_PARAM_set1_ip_asc(::SSL_get0_param(ssl), host.c_str()) != 1)
      return last_ssl_error();
  }
  ::SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return {};
}

std::string verify_failure(SSL* ssl) {
  const long result = ::SSL_get_verify_result(ssl);
  if (result == X509_V_OK)
    return {};
  return ::X509_verify_cert_error_string(result);
}

} // namespace sluice::http::detail
