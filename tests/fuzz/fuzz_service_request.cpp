// Fuzz target: what `sluice serve` reads of a request before any pipeline sees it. The input
// is a query string, a newline, a webhook signature header, a newline, and a body.
// - query_parameters() decodes any query; the parameters, encoded again, decode to the same.
// - parse_signature() reads any header or refuses it; a header it reads names a whole-number
//   time and a non-empty signature, and what a sender computes for the body (webhook_signature)
//   reads back with its time and a 64-digit signature.

#include "service/api_routes.hpp"
#include "service/webhooks.hpp"

#include <sluice/encoding.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void broken(const char* what, std::string_view input) {
  std::fprintf(stderr, "fuzz_service_request: %s\n%.*s\n", what, static_cast<int>(input.size()),
               input.data());
  std::abort();
}

std::string_view take_line(std::string_view& input) {
  const std::size_t newline = input.find('\n');
  const std::string_view line = input.substr(0, newline);
  input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  return line;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  std::string_view input = whole;
  const std::string_view query = take_line(input);
  const std::string_view header = take_line(input);
  const std::string_view body = input;

  const auto parameters = sluice::service::query_parameters(query);
  std::string again;
  for (const auto& [name, value] : parameters)
    again += (again.empty() ? "" : "&") + sluice::percent_encode(name) + "=" +
             sluice::percent_encode(value);
  if (sluice::service::query_parameters(again) != parameters)
    broken("query parameters encoded again decode to something else", whole);

  if (const auto parsed = sluice::service::parse_signature(header)) {
    if (parsed->signature.empty())
      broken("a signature header read with an empty signature", whole);
  }
  const std::int64_t time = static_cast<std::int64_t>(size) * 7919;
  const std::string signed_header = sluice::service::webhook_signature("fuzz-secret", time, body);
  const auto own = sluice::service::parse_signature(signed_header);
  if (!own || own->timestamp != time || own->signature.size() != 64)
    broken("a sender's own signature header does not read back", whole);
  return 0;
}
