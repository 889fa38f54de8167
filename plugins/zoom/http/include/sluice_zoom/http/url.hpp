#pragma once
// Base URLs of the services the Zoom plugin talks to (Zoom itself, or the emulator).

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::zoom::http {

/// An absolute http(s) base URL such as `https://api.zoom.us/v2`.
///
/// A base URL names a service, so it carries no query, fragment or user-info; request URLs
/// (which may carry a query) are plain strings in `Request::url`.
struct Url {
  std::string scheme{}; ///< "http" or "https", lower case
  std::string host{};   ///< lower case; an IPv6 literal without its brackets
  std::uint16_t port = 0;
  std::string path{}; ///< e.g. "/v2": no trailing slash, may be empty

  /// Parses `text`; throws std::invalid_argument saying what is wrong (scheme other than
  /// http/https, no host, bad port, user-info, query or fragment).
  static Url parse(std::string_view text);

  /// True for 127.0.0.0/8, ::1 and "localhost": the only hosts plain http may reach
  /// without ClientOptions::allow_insecure_http.
  bool is_loopback() const;
  /// "https://host" or "https://host:port" when the port is not the scheme's default.
  std::string origin() const;
  /// origin() + path.
  std::string to_string() const { return origin() + path; }
};

} // namespace sluice::zoom::http
