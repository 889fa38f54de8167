// The JSON Schema subset validator (schema.hpp) that checks requests against Zoom's
// OpenAPI documents.

#include "schema.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <string_view>

namespace sluice::zoom_emulator {

namespace {

std::string child_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

bool has_type(const Value& value, std::string_view type) {
  if (type == "object")
    return value.is_object();
  if (type == "array")
    return value.is_array();
  if (type == "string")
    return value.is_string();
  if (type == "boolean")
    return value.is_bool();
  if (type == "integer")
    return value.is_int();
  if (type == "number")
    return value.is_number();
  if (type == "null")
    return value.is_null();
  return true; // an unknown type name constrains nothing
}

bool matches_format(std::string_view format, std::string_view text) {
  if (format == "date-time") {
    // RFC 3339; Zoom only ever uses the `Z` form, but an offset is valid too.
    static const std::regex date_time(
        R"(^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)");
    return std::regex_match(text.begin(), text.end(), date_time);
  }
  if (format == "email") {
    const auto at = text.find('@');
    return at != std::string_view::npos && at > 0 && at + 1 < text.size();
  }
  return true;
}

// Compiling a std::regex costs far more than matching it; schemas reuse few patterns.
const std::regex& compiled_pattern(std::string_view pattern) {
  thread_local std::map<std::string, std::regex, std::less<>> cache;
  auto found = cache.find(pattern);
  if (found == cache.end())
    found = cache.emplace(std::string(pattern), std::regex(std::string(pattern))).first;
  return found->second;
}

} // namespace

void validate_schema(const Value& schema, const Value& value, const std::string& path,
                     std::vector<FieldError>& errors) {
  const std::string shown = path.empty() ? "body" : path;
  if (const Value* type = schema.find("type"); type && type->is_string()) {
    if (!has_type(value, type->as_string())) {
      errors.push_back(
          {shown, "Invalid field type: expected " + std::string(type->as_string()) + "."});
      return;
    }
  }
  if (const Value* allowed = schema.find("enum"); allowed && allowed->is_array()) {
    bool found = false;
    for (const Value& candidate : allowed->as_array())
      found = found || (candidate == value && candidate.type() == value.type());
    if (!found) {
      errors.push_back({shown, "Invalid field value: " + value.to_json() + " is not one of " +
                                   allowed->to_json() + "."});
      return;
    }
  }
  if (value.is_number()) {
    if (const Value* max = schema.find("maximum"); max && max->is_number()) {
      if (value.as_double() > max->as_double())
        errors.push_back({shown, "Value must be at most " + max->to_json() + "."});
    }
    if (const Value* min = schema.find("minimum"); min && min->is_number()) {
      if (value.as_double() < min->as_double())
        errors.push_back({shown, "Value must be at least " + min->to_json() + "."});
    }
  }
  if (value.is_string()) {
    const std::string_view text = value.as_string();
    // JSON Schema lengths count characters (code points), not UTF-8 bytes; Zoom does too.
    const auto length =
        static_cast<std::int64_t>(std::count_if(text.begin(), text.end(), [](char c) {
          return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        }));
    if (const Value* max = schema.find("maxLength"); max && max->is_int()) {
      if (length > max->as_int())
        errors.push_back(
            {shown, "Length must be at most " + std::to_string(max->as_int()) + " characters."});
    }
    if (const Value* min = schema.find("minLength"); min && min->is_int()) {
      if (length < min->as_int())
        errors.push_back(
            {shown, "Length must be at least " + std::to_string(min->as_int()) + " characters."});
    }
    if (const Value* pattern = schema.find("pattern"); pattern && pattern->is_string()) {
      if (!std::regex_search(text.begin(), text.end(), compiled_pattern(pattern->as_string())))
        errors.push_back({shown, "Invalid field format."});
    }
    if (const Value* format = schema.find("format"); format && format->is_string()) {
      if (!matches_format(format->as_string(), text))
        errors.push_back(
            {shown, "Invalid field format: expected " + std::string(format->as_string()) + "."});
    }
  }
  if (value.is_object()) {
    if (const Value* required = schema.find("required"); required && required->is_array()) {
      for (const Value& name : required->as_array()) {
        if (name.is_string() && !value.find(name.as_string()))
          errors.push_back({child_path(path, name.as_string()), "This field is required."});
      }
    }
    if (const Value* properties = schema.find("properties");
        properties && properties->is_object()) {
      for (const auto& [key, member] : value.as_object()) {
        if (const Value* member_schema = properties->find(key))
          validate_schema(*member_schema, member, child_path(path, key), errors);
      }
    }
  }
  if (value.is_array()) {
    if (const Value* max = schema.find("maxItems"); max && max->is_int()) {
      if (static_cast<std::int64_t>(value.size()) > max->as_int())
        errors.push_back({shown, "At most " + std::to_string(max->as_int()) + " items allowed."});
    }
    if (const Value* items = schema.find("items"); items && items->is_object()) {
      std::size_t index = 0;
      for (const Value& element : value.as_array())
        validate_schema(*items, element, path + "[" + std::to_string(index++) + "]", errors);
    }
  }
}

} // namespace sluice::zoom_emulator
