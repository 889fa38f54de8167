// Which meeting and which user: meeting and occurrence ids, user ids and e-mail addresses,
// and the public meeting_id_from, occurrence_id_from and user_id_from.

#include "identifiers.hpp"

#include "ascii.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace sluice::zoom {

namespace detail {

namespace {

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return ascii_digit(c); });
}

std::optional<std::int64_t> parse_int64(std::string_view digits) {
  std::int64_t number = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size())
    return std::nullopt;
  return number;
}

// A positive int64 given as an integer or as decimal digits.
std::optional<std::string> numeric_id(const Value& value, std::string_view field,
                                      std::string_view example, Problems& problems) {
  std::string hint = " (e.g. ";
  hint += example;
  hint += ')';
  if (value.is_int()) {
    if (value.as_int() > 0)
      return std::to_string(value.as_int());
    problems.add(std::string(field), std::to_string(value.as_int()) +
                                         " is not a Zoom id; it must be a positive number" + hint);
    return std::nullopt;
  }
  if (!value.is_string()) {
    problems.add(std::string(field),
                 wrong_kind("must be a number or a string of digits" + hint, value));
    return std::nullopt;
  }
  const std::string_view text = value.as_string();
  if (!all_digits(text)) {
    const bool spaced =
        std::any_of(text.begin(), text.end(), [](char c) { return ascii_digit(c); });
    problems.add(std::string(field),
                 shown(text) + " is not a Zoom id; use digits only" + hint +
                     (spaced ? ", without the spaces or dashes Zoom shows for readability" : ""));
    return std::nullopt;
  }
  const auto number = parse_int64(text);
  if (!number || *number == 0) {
    problems.add(std::string(field), shown(text) + " is not a Zoom id; it must be a positive " +
                                         "number below 2^63" + hint);
    return std::nullopt;
  }
  return std::to_string(*number);
}

bool zoom_user_id_char(char c) {
  return ascii_alnum(c) || c == '-' || c == '_';
}

// An e-mail address whose characters need no escaping in a URL path segment.
bool path_safe_email(std::string_view text) {
  return looks_like_email(text) && text.size() <= 254 &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return zoom_user_id_char(c) || c == '.' || c == '@' || c == '+';
         });
}

} // namespace

bool looks_like_email(std::string_view text) {
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0 || text.find('@', at + 1) != std::string_view::npos)
    return false;
  const std::string_view domain = text.substr(at + 1);
  const std::size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size() &&
         std::none_of(text.begin(), text.end(),
                      [](char c) { return ascii_space_or_control(c) || c == ',' || c == ';'; });
}

bool valid_user(std::string_view text) {
  return text == "me" || path_safe_email(text) ||
         (!text.empty() && text.size() <= 64 &&
          std::all_of(text.begin(), text.end(), zoom_user_id_char));
}

std::optional<std::string> meeting_id(const Value& settings, Problems& problems) {
  const Value* value = settings.find("meeting_id");
  if (!value || value->is_null()) {
    problems.add("meeting_id", "is required: the numeric meeting id (e.g. 85746065432)");
    return std::nullopt;
  }
  return numeric_id(*value, "meeting_id", "85746065432", problems);
}

std::optional<std::string> occurrence_id(const Value& settings, Problems& problems) {
  const Value* value = settings.find("occurrence_id");
  if (!value || value->is_null())
    return std::nullopt;
  return numeric_id(*value, "occurrence_id", "1648194360000", problems);
}

std::string user_id(const Value& settings, Problems& problems) {
  const Value* value = settings.find("user_id");
  if (!value || value->is_null())
    return "me";
  if (!value->is_string()) {
    problems.add("user_id",
                 wrong_kind("must be text (me, an e-mail address or a Zoom user id)", *value));
    return {};
  }
  if (!valid_user(value->as_string())) {
    problems.add("user_id", shown(*value) + " is not a Zoom user; use me (the connected user), " +
                                "an e-mail address or a Zoom user id (letters, digits, - and _)");
    return {};
  }
  return std::string(value->as_string());
}

} // namespace detail

std::string meeting_id_from(const Value& settings) {
  detail::Problems problems;
  auto id = detail::meeting_id(settings, problems);
  problems.throw_if_any();
  return std::move(*id);
}

std::optional<std::string> occurrence_id_from(const Value& settings) {
  detail::Problems problems;
  auto id = detail::occurrence_id(settings, problems);
  problems.throw_if_any();
  return id;
}

std::string user_id_from(const Value& settings) {
  detail::Problems problems;
  std::string id = detail::user_id(settings, problems);
  problems.throw_if_any();
  return id;
}

} // namespace sluice::zoom
