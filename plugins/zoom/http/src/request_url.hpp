#pragma once
// Splitting an absolute request URL into the origin the pool connects to and the
// request-target that goes on the request line.

#include "sluice_zoom/http/url.hpp"

#include <string>
#include <string_view>

namespace sluice::zoom::http::detail {

struct RequestUrl {
  Url origin;         // scheme, host, port (path holds the request's path, unsplit)
  std::string target; // "/path?query"; "/" when the URL has no path
};

// Throws std::invalid_argument; the message never repeats the query (it may hold secrets).
RequestUrl parse_request_url(std::string_view text);

// The pool's key: "scheme://host:port", always with the port.
std::string origin_key(const Url& url);

} // namespace sluice::zoom::http::detail
