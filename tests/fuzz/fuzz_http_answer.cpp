// Fuzz target: what the engine, the SDK and http.request read from an HTTP answer besides its
// framing: `parse_retry_after` (sdk/src/rate_limit.cpp) on the first line of the input; the
// interceptor's Redactor (engine/src/http/redaction.cpp), which looks for secret fields in a
// body that may be JSON, a form or anything else; and http.request's Link header and
// Location reading (plugins/http/src/links.cpp). Input: line 1 a Retry-After value and the
// secret a request declares, the rest the answer's body, also taken as a Link header and as
// a Location.
// Properties: Retry-After is nullopt or a wait of at least zero; every place the declared
// secret's text still appears in the redacted body overlaps a "[redacted]" marker (a secret
// such as "d]" can be spelt by the marker and its neighbour, which shows nothing); a next
// link or a Location without a scheme or host resolves to a URL on the page's own origin.

#include "http/redaction.hpp"
#include "links.hpp"

#include <sluice/http_interceptor.hpp>
#include <sluice/rate_limit.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_http_answer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Whether `secret` appears in `text` somewhere no marker covers.
bool leaks(std::string_view text, std::string_view secret) {
  const std::string_view marker(sluice::redacted_marker);
  for (std::size_t at = text.find(secret); at != std::string_view::npos;
       at = text.find(secret, at + 1)) {
    bool covered = false;
    const std::size_t from = at >= marker.size() ? at - marker.size() + 1 : 0;
    for (std::size_t m = text.find(marker, from);
         m != std::string_view::npos && m < at + secret.size(); m = text.find(marker, m + 1))
      covered = covered || m + marker.size() > at;
    if (!covered)
      return true;
  }
  return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t line_end = std::min(input.find('\n'), input.size());
  const std::string_view first = input.substr(0, line_end);
  const std::string_view body = input.substr(std::min(line_end + 1, input.size()));

  const auto wait = sluice::parse_retry_after(first, std::chrono::system_clock::now());
  if (wait && wait->count() < 0)
    broken("negative Retry-After wait", std::string(first));

  sluice::HttpRequest request;
  request.secrets.push_back(sluice::Secret(std::string(first)));
  request.secret_response_fields = {"access_token", "refresh_token"};
  sluice::http::Redactor redactor(request);
  sluice::HttpResponse response;
  response.body = std::string(body);
  const sluice::HttpResponse shown = redactor.response(response);
  if (!first.empty() && leaks(shown.body, first))
    broken("the declared secret survived redaction", shown.body);

  const std::string page = "https://api.example.com/v1/items?page=1";
  sluice::HttpResponse linked;
  linked.headers.push_back({"Link", std::string(body)});
  for (const auto& reference :
       {sluice::http_plugin::next_link(linked), std::optional(std::string(body))}) {
    if (!reference)
      continue;
    const std::string resolved = sluice::http_plugin::resolve_reference(page, *reference);
    const std::string_view kept = std::string_view(*reference).substr(0, reference->find('#'));
    const bool relative = kept.find(':') == std::string_view::npos && !kept.starts_with("//");
    if (relative && !resolved.starts_with("https://api.example.com/"))
      broken("a relative reference left the page's origin", resolved);
  }
  return 0;
}
