#pragma once
// Where a Zoom connection talks to: stored with the connection (its `extra` object), so
// ZoomGov, the emulator or any Zoom-compatible server work without code changes.

#include <sluice/http.hpp>
#include <sluice/value.hpp>

#include <string>

namespace sluice::zoom {

inline constexpr const char* default_api_base_url = "https://api.zoom.us/v2";
inline constexpr const char* default_oauth_base_url = "https://zoom.us";

struct Endpoints {
  std::string api_base_url = default_api_base_url;     ///< no trailing slash
  std::string oauth_base_url = default_oauth_base_url; ///< no trailing slash
  std::string ca_file; ///< extra CA bundle (PEM) for private CAs; empty: system CAs only
  /// Plain http to a host that is not loopback (tokens in clear text): only when the user
  /// asked for it by name (`--allow-insecure-http`). Loopback (the emulator) needs no opt-in.
  bool allow_insecure_http = false;

  /// From a connection's `extra` (missing fields keep the defaults).
  static Endpoints from_extra(const Value& extra);
  /// Merged into `extra` (other fields of it kept).
  Value to_extra(const Value& extra = {}) const;

  std::string token_url() const { return oauth_base_url + "/oauth/token"; }
  std::string authorize_url() const { return oauth_base_url + "/oauth/authorize"; }
  std::string revoke_url() const { return oauth_base_url + "/oauth/revoke"; }

  /// A request to these endpoints: `method` and `url`, with the CAs to trust and the plain
  /// http opt-in of this connection.
  HttpRequest request(std::string method, std::string url) const {
    HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    request.ca_file = ca_file;
    request.allow_insecure_http = allow_insecure_http;
    return request;
  }
};

/// `url` without trailing slashes, after checking it parses as an http(s) base URL; throws
/// std::invalid_argument naming `what` otherwise.
std::string normalised_base_url(const std::string& url, const std::string& what);

} // namespace sluice::zoom
