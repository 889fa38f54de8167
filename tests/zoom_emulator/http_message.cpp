// The plain request and response types of the emulator (http_message.hpp): header and
// query lookup, and setting an answer's headers, without Beast.

#include "http_message.hpp"

#include <algorithm>
#include <cctype>

namespace sluice::zoom_emulator {

std::string_view Request::header(std::string_view name) const {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto found = headers.find(lower);
  return found == headers.end() ? std::string_view{} : std::string_view(found->second);
}

const std::string* Request::query_param(const std::string& name) const {
  const auto found = query.find(name);
  return found == query.end() ? nullptr : &found->second;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [existing, existing_value] : headers) {
    if (existing == name) {
      existing_value = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

} // namespace sluice::zoom_emulator
