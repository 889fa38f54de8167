#pragma once
// Base64 for HTTP Basic auth and PKCE (RFC 4648 §4 and §5). Form encoding is the SDK's
// (sluice/encoding.hpp).

#include <string>
#include <string_view>

namespace sluice::zoom {

std::string base64(std::string_view bytes);
/// Base64url without padding (RFC 7636 code challenges and verifiers).
std::string base64url(std::string_view bytes);

} // namespace sluice::zoom
