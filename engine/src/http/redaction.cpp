// Redaction for interceptors: exact replacement of known secret values, plus the headers that
// always carry credentials. Nothing here guesses what looks like a secret.

#include "redaction.hpp"

#include <sluice/ascii.hpp>
#include <sluice/encoding.hpp>
#include <sluice/http_interceptor.hpp>
#include <sluice/redact.hpp>
#include <sluice/value.hpp>

#include <algorithm>

namespace sluice::http {

namespace {

bool is_credential_header(std::string_view name) {
  for (const char* always : {"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"})
    if (ascii::iequals(name, always))
      return true;
  return false;
}

std::vector<HttpHeader> redacted_headers(const std::vector<HttpHeader>& headers,
                                         const Redactor& redactor) {
  std::vector<HttpHeader> out;
  out.reserve(headers.size());
  for (const HttpHeader& header : headers)
    out.push_back({header.name, is_credential_header(header.name) ? std::string(redacted_marker)
                                                                  : redactor.text(header.value)});
  return out;
}

// The string values of fields named in `names`, anywhere in `value` (walked with a stack of
// its own: a deep answer must not become deep recursion).
void collect_fields(const Value& root, const std::vector<std::string>& names,
                    std::vector<std::string>& found) {
  std::vector<const Value*> pending{&root};
  while (!pending.empty()) {
    const Value* value = pending.back();
    pending.pop_back();
    if (value->is_object()) {
      for (const auto& [key, field] : value->as_object()) {
        if (field.is_string() && std::find(names.begin(), names.end(), key) != names.end())
          found.emplace_back(field.as_string());
        pending.push_back(&field);
      }
    } else if (value->is_array()) {
      for (const Value& element : value->as_array())
        pending.push_back(&element);
    }
  }
}

// `name=value&...` pairs whose name is in `names`: their decoded values.
void collect_form_fields(std::string_view body, const std::vector<std::string>& names,
                         std::vector<std::string>& found) {
  while (!body.empty()) {
    const std::size_t end = std::min(body.find('&'), body.size());
    const std::string_view pair = body.substr(0, end);
    const std::size_t equals = pair.find('=');
    if (equals != std::string_view::npos) {
      const std::string name = percent_decode(pair.substr(0, equals), true);
      if (std::find(names.begin(), names.end(), name) != names.end())
        found.push_back(percent_decode(pair.substr(equals + 1), true));
    }
    body.remove_prefix(std::min(end + 1, body.size()));
  }
}

} // namespace

Redactor::Redactor(const HttpRequest& request) : response_fields_(request.secret_response_fields) {
  for (const Secret& secret : request.secrets)
    learn(secret.reveal());
}

void Redactor::learn(std::string_view secret) {
  if (secret.empty())
    return;
  // As written, percent-encoded, and form-encoded (a space as `+`).
  // (Built by appending: GCC 12 at -O2 warns, wrongly, about string::replace here.)
  const std::string percent_encoded = percent_encode(secret);
  std::string form_encoded;
  for (std::size_t at = 0; at < percent_encoded.size();) {
    if (percent_encoded.compare(at, 3, "%20") == 0) {
      form_encoded += '+';
      at += 3;
    } else {
      form_encoded += percent_encoded[at++];
    }
  }
  for (std::string form : {std::string(secret), percent_encoded, form_encoded})
    if (std::find(secrets_.begin(), secrets_.end(), form) == secrets_.end())
      secrets_.push_back(std::move(form));
}

std::string Redactor::text(std::string_view text) const {
  return redact(text, secrets_);
}

HttpRequest Redactor::request(const HttpRequest& request) const {
  // A copy with the text-bearing fields replaced: a field added later is kept, not lost.
  HttpRequest out = request;
  out.secrets.clear();
  out.url = text(request.url);
  out.headers = redacted_headers(request.headers, *this);
  for (auto& [name, value] : out.query)
    value = text(value);
  out.body = text(request.body);
  return out;
}

HttpResponse Redactor::response(const HttpResponse& response) {
  if (!response_fields_.empty() && !response.body.empty()) {
    std::vector<std::string> found;
    try {
      collect_fields(Value::parse_json(response.body), response_fields_, found);
    } catch (const std::exception&) {
      collect_form_fields(response.body, response_fields_, found);
    }
    for (const std::string& secret : found)
      learn(secret);
  }
  HttpResponse out;
  out.status = response.status;
  out.headers = redacted_headers(response.headers, *this);
  out.body = text(response.body);
  out.resent = response.resent;
  return out;
}

} // namespace sluice::http
