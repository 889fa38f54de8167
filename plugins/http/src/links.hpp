#pragma once
// Where an answer points next: a redirect's Location or a page's next link, resolved against
// the URL that was asked (RFC 3986 §5.2), and the `Link: <...>; rel="next"` header (RFC 8288).

#include <sluice/http.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sluice::http_plugin {

/// `reference` (absolute, `//host/...`, `/path`, `?query` or a relative path) resolved
/// against the absolute URL `base`; its fragment dropped.
std::string resolve_reference(std::string_view base, std::string_view reference);

/// The target of the first `rel="next"` link of the answer's `Link` headers, as written.
std::optional<std::string> next_link(const HttpResponse& response);

/// Whether two absolute URLs have the same scheme, host and port (a URL that does not parse
/// is no one's origin).
bool same_origin(std::string_view a, std::string_view b);

} // namespace sluice::http_plugin
