// Collecting the problems of one call, showing values in their messages, and InputError,
// which carries them to the caller.

#include "problems.hpp"

namespace sluice::zoom {

namespace detail {

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty())
    return std::string(key);
  std::string path(parent);
  path += '.';
  path += key;
  return path;
}

std::string shown(const Value& value) {
  std::string text = value.to_json();
  constexpr std::size_t limit = 80;
  if (text.size() > limit) {
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut; // keep whole UTF-8 sequences
    text.resize(cut);
    text += "...";
  }
  return text;
}

std::string shown(std::string_view text) {
  return shown(Value(text));
}

std::string kind_of(const Value& value) {
  switch (value.type()) {
  case ValueType::boolean:
    return "a boolean";
  case ValueType::integer:
    return "an integer";
  case ValueType::number:
    return "a number with a fraction";
  case ValueType::string:
    return "text";
  case ValueType::array:
    return "a list";
  case ValueType::object:
    return "an object";
  case ValueType::null:
    break;
  }
  return "null";
}

std::string wrong_kind(std::string_view wanted, const Value& value) {
  std::string message(wanted);
  message += ", got ";
  message += kind_of(value);
  message += ' ';
  message += shown(value);
  return message;
}

} // namespace detail

namespace {

std::string join_problems(const std::vector<InvalidInput>& problems) {
  std::string text;
  for (const InvalidInput& problem : problems) {
    if (!text.empty())
      text += "; ";
    if (!problem.field.empty()) {
      text += "setting '";
      text += problem.field;
      text += "': ";
    }
    text += problem.message;
  }
  return text;
}

} // namespace

InputError::InputError(std::vector<InvalidInput> problems)
    : std::runtime_error(join_problems(problems)), problems_(std::move(problems)) {
}

} // namespace sluice::zoom
