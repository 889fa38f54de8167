#pragma once
// What an interceptor may see of a request and its answer: a copy with every secret the
// request carries replaced by "[redacted]" (sluice/http_interceptor.hpp says which).

#include <sluice/http.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

class Redactor {
public:
  /// Learns the secrets of `request`: its `secrets`, as written, percent-encoded and
  /// form-encoded.
  explicit Redactor(const HttpRequest& request);

  /// `request` redacted, its `secrets` list emptied.
  HttpRequest request(const HttpRequest& request) const;
  /// `response` redacted. Learns the values of the request's `secret_response_fields` found
  /// in the body first (JSON, at any depth, or a form), so they are redacted too.
  HttpResponse response(const HttpResponse& response);
  /// `text` with every known secret replaced; overlapping or adjacent ones become one marker.
  std::string text(std::string_view text) const;

private:
  void learn(std::string_view secret);

  std::vector<std::string> response_fields_;
  std::vector<std::string> secrets_;
};

} // namespace sluice::http
