// Fuzz target: URL parsing of the SDK (sdk/src/url.cpp), which the engine's HTTP client uses:
// base URLs (Url::parse, from connection settings and the command line) and request URLs
// (parse_request_url, before every request). Any text either throws std::invalid_argument or
// gives a URL that prints and parses back to the same parts; a request URL's error message
// never repeats its query, which may carry codes and tokens.

#include <sluice/url.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using sluice::Url;

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_url: %s\n%s\n", what, detail.c_str());
  std::abort();
}

std::string parts(const Url& url) {
  return url.scheme + " | " + url.host + " | " + std::to_string(url.port) + " | " + url.path;
}

bool same(const Url& a, const Url& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port && a.path == b.path;
}

void check_base_url(std::string_view text) {
  Url url;
  try {
    url = Url::parse(text);
  } catch (const std::invalid_argument&) {
    return; // the documented refusal
  }
  if ((url.scheme != "http" && url.scheme != "https") || url.host.empty() || url.port == 0)
    broken("Url::parse accepted a URL without scheme, host or port", parts(url));
  if (url.path.ends_with('/') || url.path.find_first_of("?#") != std::string::npos)
    broken("Url::parse left a trailing slash, query or fragment in the path", parts(url));
  (void)url.is_loopback();
  const std::string printed = url.to_string();
  try {
    const Url again = Url::parse(printed);
    if (!same(url, again))
      broken("to_string() parses back to other parts", parts(url) + "\n" + parts(again));
  } catch (const std::invalid_argument& e) {
    broken("to_string() does not parse back", printed + "\n" + e.what());
  }
}

// The query is marked so the check can see it in a message: the marker goes right after the
// first '?', or starts a query when there is none.
void check_request_url(std::string_view text) {
  static constexpr std::string_view marker = "Q7secret";
  if (text.find(marker) != std::string_view::npos)
    return;
  std::string url(text);
  const std::size_t question = url.find('?');
  if (question == std::string::npos)
    url.append("?").append(marker);
  else
    url.insert(question + 1, marker);

  sluice::RequestUrl request;
  try {
    request = sluice::parse_request_url(url);
  } catch (const std::invalid_argument& e) {
    if (std::string_view(e.what()).find(marker) != std::string_view::npos)
      broken("a request URL's error message repeats its query", e.what());
    return;
  }
  if (!request.target.starts_with('/') || request.target.find(marker) == std::string::npos)
    broken("parse_request_url made a target without its path or query", request.target);
  (void)sluice::origin_key(request.origin);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_base_url(text);
  check_request_url(text);
  return 0;
}
