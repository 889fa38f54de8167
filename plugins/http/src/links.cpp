// URL references and Link headers: the two ways an answer names another URL.

#include "links.hpp"

#include <sluice/ascii.hpp>
#include <sluice/url.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

namespace sluice::http_plugin {

namespace {

bool has_scheme(std::string_view reference) {
  const std::size_t colon = reference.find(':');
  if (colon == std::string_view::npos || colon == 0 ||
      !std::isalpha(static_cast<unsigned char>(reference[0])))
    return false;
  return std::all_of(
      reference.begin(), reference.begin() + static_cast<std::ptrdiff_t>(colon),
      [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; });
}

// "/a/b/../c/./d" -> "/a/c/d" (RFC 3986 §5.2.4).
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> kept;
  std::size_t at = 0;
  while (at <= path.size()) {
    const std::size_t end = std::min(path.find('/', at), path.size());
    const std::string_view segment = path.substr(at, end - at);
    if (segment == "..") {
      if (kept.size() > 1)
        kept.pop_back();
    } else if (segment != ".") {
      kept.push_back(segment);
    }
    if (end == path.size()) {
      if (segment == "." || segment == "..")
        kept.emplace_back(); // "/a/.." names the directory: keep the trailing slash
      break;
    }
    at = end + 1;
  }
  std::string out;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0)
      out += '/';
    out += kept[i];
  }
  return out.empty() ? "/" : out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// Whether the parameters after one link's `<...>` (`; rel="next prev"; title=...`) say next.
bool says_next(std::string_view parameters) {
  while (!parameters.empty()) {
    const std::size_t semicolon = std::min(parameters.find(';'), parameters.size());
    const std::string_view parameter = trim(parameters.substr(0, semicolon));
    parameters.remove_prefix(std::min(semicolon + 1, parameters.size()));
    const std::size_t equals = parameter.find('=');
    if (equals == std::string_view::npos ||
        !ascii::iequals(trim(parameter.substr(0, equals)), "rel"))
      continue;
    std::string_view rels = trim(parameter.substr(equals + 1));
    if (rels.size() >= 2 && rels.front() == '"' && rels.back() == '"')
      rels = rels.substr(1, rels.size() - 2);
    while (!rels.empty()) {
      const std::size_t space = std::min(rels.find(' '), rels.size());
      if (ascii::iequals(rels.substr(0, space), "next"))
        return true;
      rels.remove_prefix(std::min(space + 1, rels.size()));
    }
  }
  return false;
}

} // namespace

std::string resolve_reference(std::string_view base, std::string_view reference) {
  reference = reference.substr(0, reference.find('#'));
  if (has_scheme(reference))
    return std::string(reference);
  const std::size_t scheme_end = base.find("://");
  if (scheme_end == std::string_view::npos)
    throw std::invalid_argument("not an absolute URL");
  if (reference.starts_with("//"))
    return std::string(base.substr(0, scheme_end + 1)) + std::string(reference);
  const std::size_t authority_end =
      std::min(base.find_first_of("/?#", scheme_end + 3), base.size());
  const std::string origin(base.substr(0, authority_end));
  std::string_view base_path = base.substr(authority_end);
  base_path = base_path.substr(0, base_path.find_first_of("?#"));
  if (reference.empty())
    return std::string(base.substr(0, base.find('#')));
  if (reference.front() == '?')
    return origin + std::string(base_path.empty() ? "/" : base_path) + std::string(reference);

  const std::size_t query = std::min(reference.find('?'), reference.size());
  std::string path;
  if (reference.front() == '/') {
    path = std::string(reference.substr(0, query));
  } else {
    const std::size_t slash = base_path.rfind('/');
    const std::string directory =
        slash == std::string_view::npos ? "/" : std::string(base_path.substr(0, slash + 1));
    path = directory + std::string(reference.substr(0, query));
  }
  return origin + remove_dot_segments(path) + std::string(reference.substr(query));
}

std::optional<std::string> next_link(const HttpResponse& response) {
  for (const HttpHeader& header : response.headers) {
    if (!ascii::iequals(header.name, "Link"))
      continue;
    std::string_view links = header.value;
    for (std::size_t open = links.find('<'); open != std::string_view::npos;
         open = links.find('<')) {
      const std::size_t close = links.find('>', open);
      if (close == std::string_view::npos)
        break;
      const std::string_view target = links.substr(open + 1, close - open - 1);
      links.remove_prefix(close + 1);
      // The parameters run to the next link; a quoted parameter may hold a comma.
      std::size_t end = 0;
      for (bool quoted = false; end < links.size() && (quoted || links[end] != ','); ++end)
        quoted = links[end] == '"' ? !quoted : quoted;
      if (says_next(links.substr(0, end)))
        return std::string(target);
      links.remove_prefix(end);
    }
  }
  return std::nullopt;
}

bool same_origin(std::string_view a, std::string_view b) {
  try {
    return origin_key(parse_request_url(a).origin) == origin_key(parse_request_url(b).origin);
  } catch (const std::invalid_argument&) {
    return false;
  }
}

} // namespace sluice::http_plugin
