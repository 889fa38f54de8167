// Checking a value against a shape: its kind, allowed values, range, length and members,
// with a "did you mean" for unknown keys.

#include "shape.hpp"

#include "edit_distance.hpp"
#include "identifiers.hpp"
#include "meeting_fields.hpp"

#include <algorithm>

namespace sluice::zoom::detail {

namespace {

std::string_view request_name(Op op) {
  return op == Op::create ? "creating a meeting" : "updating a meeting";
}

// Zoom's limits are in characters; a UTF-8 continuation byte does not start one.
std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string unknown_key_message(const Shape& shape, std::string_view key, Op op) {
  std::string message = "unknown ";
  message += shape.what;
  if (shape.fields == meeting_settings_shape.fields || shape.fields == recurrence_shape.fields) {
    // A top-level meeting field put inside settings{} or recurrence{}.
    if (find_field(meeting_body_shape, key)) {
      message += "; '";
      message += key;
      message += "' is a meeting field: put it at the top level, next to 'topic'";
      return message;
    }
  }
  std::string_view best;
  // Close enough to be a typo: about one edit per three characters ("host_vidoe").
  std::size_t best_distance = std::max<std::size_t>(1, key.size() / 3) + 1;
  for (const Field& field : fields_of(shape)) {
    if (!accepted_by(field, op))
      continue;
    const std::size_t distance = edit_distance(key, field.name);
    if (distance < best_distance) {
      best_distance = distance;
      best = field.name;
    }
  }
  if (!best.empty()) {
    message += "; did you mean '";
    message += best;
    message += "'?";
    return message;
  }
  message += "; allowed: ";
  bool first = true;
  for (const Field& field : fields_of(shape)) {
    if (!accepted_by(field, op))
      continue;
    if (!first)
      message += ", ";
    message += field.name;
    first = false;
  }
  return message;
}

// "is 11 characters long; Zoom allows at most 10", "has 11 items; Zoom allows at most 10"
std::string over_limit(std::string_view verb, std::size_t count, std::string_view unit,
                       std::size_t limit) {
  std::string message(verb);
  message += ' ';
  message += std::to_string(count);
  message += ' ';
  message += unit;
  message += "; Zoom allows at most ";
  message += std::to_string(limit);
  return message;
}

void check_integer(const Shape& shape, std::int64_t number, const std::string& path,
                   Problems& problems) {
  if (shape.value_count > 0) {
    const std::span<const std::int64_t> allowed_values(shape.int_values, shape.value_count);
    if (std::find(allowed_values.begin(), allowed_values.end(), number) == allowed_values.end()) {
      std::string message = std::to_string(number);
      message += " is not allowed; use one of ";
      for (std::size_t i = 0; i < allowed_values.size(); ++i) {
        if (i > 0)
          message += ", ";
        message += std::to_string(allowed_values[i]);
      }
      problems.add(path, std::move(message));
    }
  } else if (number < shape.min || number > shape.max) {
    std::string message = std::to_string(number);
    message += " is out of range; use ";
    if (shape.max == std::numeric_limits<std::int64_t>::max()) {
      message += "at least ";
      message += std::to_string(shape.min);
    } else {
      message += std::to_string(shape.min);
      message += " to ";
      message += std::to_string(shape.max);
    }
    if (!shape.what.empty()) {
      message += ' ';
      message += shape.what;
    }
    problems.add(path, std::move(message));
  }
}

void check_string(const Shape& shape, const Value& value, const std::string& path,
                  Problems& problems) {
  const std::string_view content = value.as_string();
  if (shape.value_count > 0) {
    const std::span<const std::string_view> allowed_values(shape.string_values, shape.value_count);
    if (std::find(allowed_values.begin(), allowed_values.end(), content) == allowed_values.end()) {
      std::string message = shown(value);
      message += " is not allowed; use one of ";
      for (std::size_t i = 0; i < allowed_values.size(); ++i) {
        if (i > 0)
          message += ", ";
        message += allowed_values[i];
      }
      problems.add(path, std::move(message));
    }
  }
  if (const std::size_t length = code_points(content);
      shape.max_length > 0 && length > shape.max_length)
    problems.add(path, over_limit("is", length, "characters long", shape.max_length));
  if (shape.email && !looks_like_email(content))
    problems.add(path, shown(value) + " is not an e-mail address");
}

} // namespace

const Field* find_field(const Shape& shape, std::string_view name) {
  for (const Field& field : fields_of(shape)) {
    if (field.name == name)
      return &field;
  }
  return nullptr;
}

std::string not_accepted_message(const Field& field, Op op) {
  std::string message = "is not accepted when ";
  message += request_name(op);
  message += " (Zoom's API has it only when ";
  message += request_name(field.op);
  message += ')';
  return message;
}

std::optional<Value> check_shape(const Shape& shape, const Value& value, const std::string& path,
                                 Op op, Problems& problems) {
  const std::size_t before = problems.size();
  switch (shape.kind) {
  case Kind::boolean:
    if (!value.is_bool())
      problems.add(path, wrong_kind("must be true or false", value));
    break;
  case Kind::integer:
    if (!value.is_int())
      problems.add(path, wrong_kind("must be a whole number", value));
    else
      check_integer(shape, value.as_int(), path, problems);
    break;
  case Kind::string:
    if (!value.is_string())
      problems.add(path, wrong_kind("must be text", value));
    else
      check_string(shape, value, path, problems);
    break;
  case Kind::array: {
    if (!value.is_array()) {
      problems.add(path, wrong_kind("must be a list", value));
      break;
    }
    if (shape.max_length > 0 && value.size() > shape.max_length)
      problems.add(path, over_limit("has", value.size(), "items", shape.max_length));
    Array items;
    std::size_t index = 0;
    for (const Value& item : value.as_array()) {
      std::string item_path = path;
      item_path += '[';
      item_path += std::to_string(index++);
      item_path += ']';
      if (auto checked = check_shape(*shape.items, item, item_path, op, problems))
        items.push_back(std::move(*checked));
    }
    if (problems.size() == before)
      return Value(std::move(items));
    return std::nullopt;
  }
  case Kind::object: {
    if (!value.is_object()) {
      problems.add(path, wrong_kind("must be an object (key: value pairs)", value));
      break;
    }
    Object members;
    for (const auto& [key, member] : value.as_object()) {
      if (member.is_null())
        continue;
      const std::string member_path = join_path(path, key);
      const Field* field = find_field(shape, key);
      if (!field) {
        problems.add(member_path, unknown_key_message(shape, key, op));
        continue;
      }
      if (!accepted_by(*field, op)) {
        problems.add(member_path, not_accepted_message(*field, op));
        continue;
      }
      if (auto checked = check_shape(field->shape, member, member_path, op, problems))
        members.emplace_back(key, std::move(*checked));
    }
    for (const Field& field : fields_of(shape)) {
      const Value* member = value.find(field.name);
      if (field.required && (!member || member->is_null()))
        problems.add(join_path(path, field.name), "is required");
    }
    if (problems.size() == before)
      return Value(std::move(members));
    return std::nullopt;
  }
  }
  if (problems.size() == before)
    return value;
  return std::nullopt;
}

} // namespace sluice::zoom::detail
