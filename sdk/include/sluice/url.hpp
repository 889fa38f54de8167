#pragma once
/// @file
/// http(s) URLs as services and requests use them: a base URL naming a service
/// (`https://api.zoom.us/v2`) and a request URL split into the origin a connection goes to
/// and the target on the request line. Errors never repeat a query: it may carry secrets.

#include <sluice/export.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

/// An absolute http(s) base URL such as `https://api.zoom.us/v2`.
///
/// A base URL names a service, so it carries no query, fragment or user-info; request URLs
/// (which may carry a query) are plain strings in `HttpRequest::url`.
struct SLUICE_SDK_API Url {
  std::string scheme{}; ///< "http" or "https", lower case
  std::string host{};   ///< lower case; an IPv6 literal without its brackets
  std::uint16_t port = 0;
  std::string path{}; ///< e.g. "/v2": no trailing slash, may be empty

  /// Parses `text`; throws std::invalid_argument saying what is wrong (scheme other than
  /// http/https, no host, bad port, user-info, query or fragment).
  static Url parse(std::string_view text);

  /// True for 127.0.0.0/8, ::1 and "localhost": the only hosts plain http may reach
  /// without `HttpRequest::allow_insecure_http`.
  bool is_loopback() const;
  /// "https://host" or "https://host:port" when the port is not the scheme's default.
  std::string origin() const;
  /// origin() + path.
  std::string to_string() const { return origin() + path; }
};

/// A request URL split for sending.
struct RequestUrl {
  Url origin;         ///< scheme, host, port; `path` holds the request's path
  std::string target; ///< "/path?query"; "/" when the URL has no path
};

/// Splits an absolute request URL. Throws std::invalid_argument saying what is wrong; the
/// message never repeats the query.
SLUICE_SDK_API RequestUrl parse_request_url(std::string_view text);

/// "scheme://host:port", always with the port: what a keep-alive pool is keyed by.
SLUICE_SDK_API std::string origin_key(const Url& url);

} // namespace sluice
