#pragma once
// Base64 for HTTP Basic auth and PKCE (RFC 4648 §4 and §5), form encoding.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::zoom {

std::string base64(std::string_view bytes);
/// Base64url without padding (RFC 7636 code challenges and verifiers).
std::string base64url(std::string_view bytes);
/// application/x-www-form-urlencoded (also valid as a URL query).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

} // namespace sluice::zoom
