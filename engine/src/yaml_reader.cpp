// The shared reading of YAML values (yaml_reader.hpp).

#include "yaml_reader.hpp"

#include "limit_text.hpp"
#include "suggest.hpp"
#include "yaml_core_schema.hpp"

#include <sluice/encoding.hpp>

#include <cstdint>

namespace sluice::detail {

// Text from the file as a message quotes it: cut short, with its control bytes escaped.
// Built by appending: GCC 12 at -O3 reports a false -Wrestrict for "literal" + string here.
std::string quoted(std::string_view text) {
  std::string out = "'";
  if (text.size() <= max_quoted_bytes) {
    out += printable(text);
    out += "'";
    return out;
  }
  out += printable(text.substr(0, max_quoted_bytes));
  out += "...' (";
  out += std::to_string(text.size());
  out += " bytes)";
  return out;
}

std::string kind_of(YamlNode node) {
  node = node.target();
  switch (node.kind()) {
  case YamlNode::Kind::map:
    return "a map";
  case YamlNode::Kind::sequence:
    return "a list";
  case YamlNode::Kind::null:
  case YamlNode::Kind::alias:
    return "nothing";
  case YamlNode::Kind::scalar:
    break;
  }
  return quoted(node.text());
}

bool YamlReader::read_document(std::string_view text, YamlDocument& document) {
  if (text.size() > limits_.input_bytes) {
    error(SourceMark{1, 1},
          what_ + " is larger than " +
              limit_value_text(LimitKind::input_bytes, limits_.input_bytes) +
              ", the limit for its YAML text",
          how_to_raise(LimitKind::input_bytes));
    return false;
  }
  if (const auto syntax = document.parse(text, max_depth)) {
    error(syntax->mark, syntax->message, syntax->hint);
    return false;
  }
  return true;
}

void YamlReader::charge(YamlNode node, std::size_t bytes, SourceMark fallback) {
  expanded_bytes_ += bytes;
  if (expanded_bytes_ <= limits_.expanded_bytes)
    return;
  const std::string limit = limit_value_text(LimitKind::expanded_bytes, limits_.expanded_bytes);
  const SourceMark own = mark_of(node, fallback);
  if (!alias_mark_)
    stop(own,
         what_ + "'s text adds up to more than " + limit +
             ", the limit for YAML once aliases are expanded",
         how_to_raise(LimitKind::expanded_bytes));
  stop(*alias_mark_,
       "aliases (*name) expand " + what_ + "'s text to more than " + limit +
           ", the limit for YAML once aliases are expanded; this alias repeats the " +
           std::to_string(bytes) + "-byte text at line " + std::to_string(own.line) + ", column " +
           std::to_string(own.column),
       how_to_raise(LimitKind::expanded_bytes) + ", or repeat large values less often");
}

void YamlReader::unknown_key(SourceMark mark, const std::string& key, const std::string& where,
                             const std::vector<std::string>& allowed) {
  NearestName nearest(key);
  for (const std::string& candidate : allowed)
    nearest.consider(candidate);
  error(mark, "unknown key '" + key + "'" + where,
        did_you_mean(nearest.best(), "allowed keys: " + join_names(allowed)));
}

Value YamlReader::to_value(YamlNode node, SourceMark fallback, int depth) {
  if (node.is_alias())
    return through(node, [&](YamlNode target) { return to_value(target, fallback, depth); });
  if (++converted_values_ > max_converted_values)
    stop(alias_mark_.value_or(mark_of(node, fallback)),
         "the document is too large: it expands to more than " +
             std::to_string(max_converted_values) + " values",
         "aliases (*name) are expanded; avoid aliases of large maps or lists");
  if (depth > max_depth) {
    error(alias_mark_.value_or(mark_of(node, fallback)),
          "nesting is deeper than " + std::to_string(max_depth) + " levels");
    return Value();
  }
  const SourceMark mark = mark_of(node, fallback);
  switch (node.kind()) {
  case YamlNode::Kind::null:
  case YamlNode::Kind::alias: // followed above
    return Value();
  case YamlNode::Kind::scalar:
    return scalar_to_value(node, mark);
  case YamlNode::Kind::sequence: {
    Array elements;
    elements.reserve(node.children());
    for (std::size_t i = 0; i < node.children(); ++i)
      elements.push_back(to_value(node.child(i), mark, depth + 1));
    return Value(std::move(elements));
  }
  case YamlNode::Kind::map: {
    Object members;
    members.reserve(node.entries());
    for_each_entry(node, "duplicate key",
                   [&](const std::string& key, SourceMark key_mark, YamlNode value) {
                     members.emplace_back(key, to_value(value, key_mark, depth + 1));
                   });
    return Value(std::move(members));
  }
  }
  return Value();
}

Value YamlReader::scalar_to_value(YamlNode node, SourceMark mark) {
  charge(node, node.text().size(), mark);
  const std::string_view text = node.text();
  const std::string_view tag = node.tag();
  // Untagged: a quoted or block scalar is always a string, a plain one is typed by the core
  // schema. "!" (the non-specific tag) also means a string. Explicit core tags (!!str,
  // !!int...) force the type.
  std::string_view wanted;
  if (tag.empty()) {
    if (!node.plain())
      return Value(std::string(text));
  } else if (tag == "!") {
    return Value(std::string(text));
  } else {
    if (!tag.starts_with(core_tag_prefix)) {
      error(mark, "unsupported YAML tag " + quoted(tag),
            "only the standard tags (!!str, !!int, !!float, !!bool, !!null) are understood");
      return Value();
    }
    wanted = tag.substr(core_tag_prefix.size());
    if (wanted == "str")
      return Value(std::string(text));
  }
  if ((wanted.empty() || wanted == "null") && is_core_null(text))
    return Value();
  if (wanted.empty() || wanted == "bool")
    if (const auto b = core_bool(text))
      return Value(*b);
  if (wanted.empty() || wanted == "int") {
    std::int64_t integer = 0;
    switch (core_integer(text, integer)) {
    case IntegerParse::ok:
      return Value(integer);
    case IntegerParse::too_big:
      error(mark, "integer " + std::string(text) + " does not fit in 64 bits",
            "quote it to keep it as text");
      // Kept as the nearest double (as JSON readers do), so checks further on see a
      // number rather than a misleading "missing" value.
      return Value(core_float(text).value_or(0.0));
    case IntegerParse::not_an_integer:
      break;
    }
  }
  if (wanted.empty() || wanted == "float")
    if (const auto d = core_float(text))
      return Value(*d);
  if (wanted.empty())
    return Value(std::string(text));
  error(mark, quoted(text) + " is not a valid !!" + printable(wanted.substr(0, max_quoted_bytes)));
  return Value();
}

std::optional<std::string> YamlReader::text_of(YamlNode node, SourceMark mark,
                                               std::string_view what, std::string_view owner) {
  if (node.is_scalar()) {
    charge(node, node.text().size(), mark);
    return std::string(node.text());
  }
  std::string described(what);
  if (!owner.empty())
    described.append(" '").append(owner).append("'");
  error(mark, described + " must be text, got " + kind_of(node));
  return std::nullopt;
}

} // namespace sluice::detail
