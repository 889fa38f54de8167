// URL parsing for base URLs (Url::parse) and request URLs (parse_request_url).

#include <sluice/ascii.hpp>
#include <sluice/url.hpp>

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace sluice {
namespace {

struct Parts {
  Url url;
  std::string query; // without '?'
  bool has_query = false;
};

[[noreturn]] void fail(std::string_view shown, const std::string& why) {
  // `shown` is empty for request URLs: their text may carry tokens in the query.
  if (shown.empty())
    throw std::invalid_argument("invalid URL: " + why);
  throw std::invalid_argument("invalid URL '" + std::string(shown) + "': " + why);
}

// Control characters and spaces in a path or query would let a caller inject header lines.
bool is_clean(std::string_view text) {
  return std::none_of(text.begin(), text.end(),
                      [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

bool is_host_name(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_';
  });
}

std::uint16_t parse_port(std::string_view text, std::string_view shown) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    fail(shown, "bad port '" + std::string(text) + "' (expected 1-65535)");
  const unsigned long value = std::stoul(std::string(text));
  if (value == 0 || value > 65535)
    fail(shown, "bad port '" + std::string(text) + "' (expected 1-65535)");
  return static_cast<std::uint16_t>(value);
}

Parts split(std::string_view text, std::string_view shown) {
  Parts parts;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos)
    fail(shown, "expected scheme://host (e.g. https://api.example.com)");
  parts.url.scheme = ascii::lower(text.substr(0, scheme_end));
  if (parts.url.scheme != "http" && parts.url.scheme != "https")
    fail(shown, "unsupported scheme '" + parts.url.scheme + "' (expected http or https)");

  std::string_view rest = text.substr(scheme_end + 3);
  const auto authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  rest.remove_prefix(authority_end);
  if (authority.find('@') != std::string_view::npos)
    fail({}, "user-info (user:password@) is not allowed in a URL; send credentials in headers");

  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      fail(shown, "unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      fail(shown, "unexpected text after the IPv6 literal");
    if (!after.empty())
      port = after.substr(1);
    boost::system::error_code error;
    boost::asio::ip::make_address_v6(std::string(host), error);
    if (error)
      fail(shown, "bad IPv6 literal '" + std::string(host) + "'");
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (!is_host_name(host))
      fail(shown, "bad host '" + std::string(host) + "'");
  } else if (!is_host_name(host)) {
    fail(shown, "bad host '" + std::string(host) + "'");
  }
  if (host.empty())
    fail(shown, "no host");
  parts.url.host = ascii::lower(host);
  const bool has_port = !port.empty() || authority.ends_with(":");
  parts.url.port = has_port ? parse_port(port, shown) : (parts.url.scheme == "https" ? 443 : 80);

  if (rest.find('#') != std::string_view::npos)
    fail(shown, "a fragment (#...) is not allowed");
  const auto query_start = rest.find('?');
  parts.url.path = std::string(rest.substr(0, query_start));
  if (query_start != std::string_view::npos) {
    parts.has_query = true;
    parts.query = std::string(rest.substr(query_start + 1));
  }
  if (!is_clean(parts.url.path) || !is_clean(parts.query))
    fail({}, "spaces and control characters must be percent-encoded in the path and query");
  return parts;
}

} // namespace

Url Url::parse(std::string_view text) {
  // A base URL holds no query and, after the user-info check, nothing secret: show it.
  const bool safe_to_show = text.find('@') == std::string_view::npos;
  const std::string_view shown = safe_to_show ? text : std::string_view{};
  Parts parts = split(text, shown);
  if (parts.has_query)
    fail(shown, "a base URL cannot carry a query (?...)");
  while (!parts.url.path.empty() && parts.url.path.back() == '/')
    parts.url.path.pop_back();
  return std::move(parts.url);
}

bool Url::is_loopback() const {
  if (host == "localhost")
    return true;
  boost::system::error_code error;
  const boost::asio::ip::address address = boost::asio::ip::make_address(host, error);
  return !error && address.is_loopback();
}

std::string Url::origin() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string text = scheme + "://" + (ipv6 ? "[" + host + "]" : host);
  const std::uint16_t default_port = scheme == "https" ? 443 : 80;
  if (port != default_port)
    text.append(":").append(std::to_string(port));
  return text;
}

RequestUrl parse_request_url(std::string_view text) {
  const auto query = text.find('?');
  // Only the part before the query may appear in a message.
  Parts parts = split(text, text.substr(0, query));
  RequestUrl result;
  result.target = parts.url.path.empty() ? "/" : parts.url.path;
  if (parts.has_query)
    result.target += "?" + parts.query;
  result.origin = std::move(parts.url);
  return result;
}

std::string origin_key(const Url& url) {
  return url.scheme + "://" + url.host + ":" + std::to_string(url.port);
}

} // namespace sluice
