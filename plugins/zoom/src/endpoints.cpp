// Reading and writing a connection's endpoints in its `extra` object (its other fields kept),
// and checking a base URL the user gives.

#include "endpoints.hpp"

#include <sluice/url.hpp>

#include <stdexcept>

namespace sluice::zoom {

namespace {
std::string text_or(const Value& extra, std::string_view key, std::string fallback) {
  const Value* field = extra.is_object() ? extra.find(key) : nullptr;
  return field && field->is_string() && !field->as_string().empty()
             ? std::string(field->as_string())
             : std::move(fallback);
}
} // namespace

Endpoints Endpoints::from_extra(const Value& extra) {
  Endpoints e;
  e.api_base_url = text_or(extra, "api_base_url", e.api_base_url);
  e.oauth_base_url = text_or(extra, "oauth_base_url", e.oauth_base_url);
  e.ca_file = text_or(extra, "ca_file", "");
  const Value* insecure = extra.is_object() ? extra.find("allow_insecure_http") : nullptr;
  e.allow_insecure_http = insecure && insecure->is_bool() && insecure->as_bool();
  return e;
}

Value Endpoints::to_extra(const Value& extra) const {
  Object fields;
  if (extra.is_object())
    for (const auto& [key, value] : extra.as_object())
      if (key != "api_base_url" && key != "oauth_base_url" && key != "ca_file" &&
          key != "allow_insecure_http")
        fields.emplace_back(std::string(key), value);
  fields.emplace_back("api_base_url", api_base_url);
  fields.emplace_back("oauth_base_url", oauth_base_url);
  if (!ca_file.empty())
    fields.emplace_back("ca_file", ca_file);
  if (allow_insecure_http)
    fields.emplace_back("allow_insecure_http", true);
  return Value(std::move(fields));
}

std::string normalised_base_url(const std::string& url, const std::string& what) {
  std::string trimmed = url;
  while (!trimmed.empty() && trimmed.back() == '/')
    trimmed.pop_back();
  try {
    (void)Url::parse(trimmed);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(what + " '" + url + "' is not usable: " + e.what());
  }
  return trimmed;
}

} // namespace sluice::zoom
