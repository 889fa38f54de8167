// libyaml's events -> YamlDocument. libyaml is Debian's reference C parser for YAML (the one
// PyYAML's fast loader uses): its event loop read 48 to 88 MB/s here, where building
// yaml-cpp's node tree managed 5 to 9 MB/s (a `validate` of 500,000 numbers peaked at 250 MB,
// about 500 bytes per value), and it reports every syntax error with the position of the
// problem and of the construct it was reading.

#include "yaml_document.hpp"

#include "yaml_core_schema.hpp"

#include <yaml.h>

#include <algorithm>
#include <limits>
#include <new>
#include <string>
#include <unordered_map>
#include <utility>

namespace sluice::detail {

YamlNode YamlNode::target() const {
  const auto& record = document_->nodes_[index_];
  if (record.kind != Kind::alias)
    return *this;
  return YamlNode(document_, static_cast<std::uint32_t>(record.first));
}

std::string_view YamlNode::text() const {
  const auto& record = document_->nodes_[index_];
  if (record.kind != Kind::scalar && record.kind != Kind::null)
    return {};
  return std::string_view(document_->text_).substr(record.first, record.count);
}

std::string_view YamlNode::tag() const {
  return document_->tags_[document_->nodes_[index_].tag];
}

bool YamlNode::plain() const {
  return document_->nodes_[index_].plain;
}

std::size_t YamlNode::children() const {
  const auto& record = document_->nodes_[index_];
  if (record.kind != Kind::sequence && record.kind != Kind::map)
    return 0;
  return record.count;
}

YamlNode YamlNode::child(std::size_t i) const {
  const auto& record = document_->nodes_[index_];
  return YamlNode(document_, document_->children_[record.first + i]);
}

namespace {

// Names and tags quoted in a message are cut to this many bytes.
constexpr std::size_t max_quoted_bytes = 60;

std::string quoted_name(std::string_view name) {
  if (name.size() <= max_quoted_bytes)
    return std::string(name);
  std::string cut(name.substr(0, max_quoted_bytes));
  cut += "...";
  return cut;
}

// libyaml counts columns in characters; so does this, for the positions it works out itself
// (a reader error comes with a byte offset only).
SourceMark mark_at_offset(std::string_view text, std::size_t offset) {
  SourceMark mark{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      ++mark.line;
      mark.column = 1;
    } else if ((byte & 0xC0) != 0x80) {
      ++mark.column;
    }
  }
  return mark;
}

// The byte at a 1-based line and character column, or '\0' past the end.
char byte_at(std::string_view text, SourceMark mark) {
  std::size_t i = 0;
  for (int line = 1; line < mark.line; ++line) {
    i = text.find('\n', i);
    if (i == std::string_view::npos)
      return '\0';
    ++i;
  }
  for (int column = 1; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80)
      continue;
    if (column++ == mark.column)
      return text[i];
  }
  return '\0';
}

SourceMark mark_of(const yaml_mark_t& mark) {
  constexpr std::size_t most = std::numeric_limits<int>::max() - 1;
  return SourceMark{static_cast<int>(std::min(mark.line, most)) + 1,
                    static_cast<int>(std::min(mark.column, most)) + 1};
}

std::string hex_byte(int value) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text = "0x";
  text += digits[(value >> 4) & 0xF];
  text += digits[value & 0xF];
  return text;
}

// What libyaml said, as one of our diagnostics.
YamlSyntaxError syntax_error(const yaml_parser_t& parser, std::string_view text) {
  YamlSyntaxError error;
  const std::string problem = parser.problem ? parser.problem : "the YAML could not be read";
  if (parser.error == YAML_MEMORY_ERROR)
    throw std::bad_alloc();
  if (parser.error == YAML_READER_ERROR) {
    // Encoding problems come with a byte offset and the offending value, not a mark.
    error.mark = mark_at_offset(text, parser.problem_offset);
    error.message = problem;
    if (parser.problem_value >= 0 && parser.problem_value <= 0xFF)
      error.message += " (byte " + hex_byte(parser.problem_value) + ")";
    if (problem.starts_with("control characters"))
      error.hint = "write it as an escape (\\x.., \\t) inside a double-quoted string";
    else
      error.hint = "save the file as UTF-8";
    return error;
  }
  error.mark = mark_of(parser.problem_mark);
  error.message = problem;
  if (parser.context) {
    const SourceMark context = mark_of(parser.context_mark);
    error.message += " (" + std::string(parser.context);
    if (context != error.mark)
      error.message += " that starts at line " + std::to_string(context.line) + ", column " +
                       std::to_string(context.column);
    error.message += ")";
  }
  // The mistakes people make most, said in their words.
  if (byte_at(text, error.mark) == '\t')
    error.hint = "YAML indents with spaces; replace the tab";
  else if (problem == "did not find expected key")
    error.hint = "check this line's indentation: the keys of one map start in the same column";
  else if (problem == "mapping values are not allowed in this context")
    error.hint = "quote a value that contains ': '";
  return error;
}

// An event that frees what libyaml allocated for it however the loop is left.
struct Event {
  yaml_event_t event{};
  bool held = false;
  ~Event() { release(); }
  void release() {
    if (held)
      yaml_event_delete(&event);
    held = false;
  }
};

struct Parser {
  yaml_parser_t parser{};
  Parser() {
    if (!yaml_parser_initialize(&parser))
      throw std::bad_alloc();
  }
  ~Parser() { yaml_parser_delete(&parser); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

const char* as_text(const yaml_char_t* text) {
  return reinterpret_cast<const char*>(text);
}

} // namespace

// Turns the event stream into records. Collections are closed in the order they were opened,
// so their children (kept in `pending_` while they are open) can be moved into one slice of
// children_ when they end.
class YamlBuilder {
public:
  YamlBuilder(YamlDocument& document, std::size_t max_depth)
      : document_(document), max_depth_(max_depth) {}

  std::optional<YamlSyntaxError> add(const yaml_event_t& event) {
    switch (event.type) {
    case YAML_SCALAR_EVENT:
      return scalar(event);
    case YAML_ALIAS_EVENT:
      return alias(event);
    case YAML_SEQUENCE_START_EVENT:
      return start(event, YamlNode::Kind::sequence, event.data.sequence_start.anchor,
                   event.data.sequence_start.tag);
    case YAML_MAPPING_START_EVENT:
      return start(event, YamlNode::Kind::map, event.data.mapping_start.anchor,
                   event.data.mapping_start.tag);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      end();
      return std::nullopt;
    case YAML_DOCUMENT_START_EVENT:
      if (++documents_ > 1)
        return YamlSyntaxError{mark_of(event.start_mark),
                               "a second YAML document starts here; a pipeline file holds one",
                               "remove the '---' line and what follows, or split the file"};
      return std::nullopt;
    default:
      return std::nullopt;
    }
  }

private:
  using Record = YamlDocument::Record;

  YamlDocument& document_;
  const std::size_t max_depth_;
  std::vector<std::uint32_t> pending_;
  std::vector<std::pair<std::uint32_t, std::size_t>> open_; // node, its first pending child
  std::unordered_map<std::string, std::uint32_t> anchors_;
  std::unordered_map<std::string, std::uint32_t> tag_index_;
  int documents_ = 0;

  std::uint32_t append(Record record, const yaml_char_t* anchor) {
    const auto index = static_cast<std::uint32_t>(document_.nodes_.size());
    document_.nodes_.push_back(record);
    if (!open_.empty())
      pending_.push_back(index);
    if (anchor)
      anchors_[as_text(anchor)] = index; // a later anchor of the same name replaces it
    return index;
  }

  std::uint32_t intern_tag(const yaml_char_t* tag) {
    if (!tag)
      return 0;
    const auto [it, inserted] =
        tag_index_.emplace(as_text(tag), static_cast<std::uint32_t>(document_.tags_.size()));
    if (inserted)
      document_.tags_.emplace_back(as_text(tag));
    return it->second;
  }

  Record record_at(const yaml_event_t& event, YamlNode::Kind kind, const yaml_char_t* tag) {
    Record record;
    record.kind = kind;
    record.tag = intern_tag(tag);
    const SourceMark mark = mark_of(event.start_mark);
    record.line = mark.line;
    record.column = mark.column;
    return record;
  }

  std::optional<YamlSyntaxError> scalar(const yaml_event_t& event) {
    const auto& data = event.data.scalar;
    const std::string_view text(as_text(data.value), data.length);
    if (text.size() > std::numeric_limits<std::uint32_t>::max())
      return YamlSyntaxError{mark_of(event.start_mark), "a scalar of 4 GiB or more", {}};
    const bool plain = data.style == YAML_PLAIN_SCALAR_STYLE;
    // An untagged plain `~`, `null` or nothing is YAML's null: a node of its own kind, as
    // "no value" reads in messages.
    const bool null = plain && !data.tag && is_core_null(text);
    Record record =
        record_at(event, null ? YamlNode::Kind::null : YamlNode::Kind::scalar, data.tag);
    record.plain = plain;
    record.first = document_.text_.size();
    record.count = static_cast<std::uint32_t>(text.size());
    document_.text_.append(text);
    append(record, data.anchor);
    return std::nullopt;
  }

  std::optional<YamlSyntaxError> alias(const yaml_event_t& event) {
    const std::string name = as_text(event.data.alias.anchor);
    const SourceMark mark = mark_of(event.start_mark);
    const auto found = anchors_.find(name);
    if (found == anchors_.end())
      return YamlSyntaxError{mark, "the alias *" + quoted_name(name) + " has no anchor before it",
                             "mark the value it repeats with &" + quoted_name(name) +
                                 " earlier in the file"};
    if (document_.nodes_[found->second].open)
      return YamlSyntaxError{
          mark, "the alias *" + quoted_name(name) + " is inside the collection it repeats",
          "a value cannot contain itself; repeat a value defined outside it"};
    Record record;
    record.kind = YamlNode::Kind::alias;
    record.line = mark.line;
    record.column = mark.column;
    record.first = found->second;
    append(record, nullptr);
    return std::nullopt;
  }

  std::optional<YamlSyntaxError> start(const yaml_event_t& event, YamlNode::Kind kind,
                                       const yaml_char_t* anchor, const yaml_char_t* tag) {
    Record record = record_at(event, kind, tag);
    // Checked as the collections open, not after: libyaml's scanner spends time in proportion
    // to the depth on every token, so reading a 500,000-deep file to the end would take
    // hours.
    if (open_.size() >= max_depth_)
      return YamlSyntaxError{SourceMark{record.line, record.column},
                             "nesting is deeper than " + std::to_string(max_depth_) + " levels",
                             "no pipeline needs values nested this deep"};
    record.open = true;
    const std::uint32_t index = append(record, anchor);
    open_.emplace_back(index, pending_.size());
    return std::nullopt;
  }

  void end() {
    const auto [index, first_pending] = open_.back();
    open_.pop_back();
    Record& record = document_.nodes_[index];
    record.open = false;
    record.first = document_.children_.size();
    record.count = static_cast<std::uint32_t>(pending_.size() - first_pending);
    document_.children_.insert(document_.children_.end(),
                               pending_.begin() + static_cast<std::ptrdiff_t>(first_pending),
                               pending_.end());
    pending_.resize(first_pending);
  }
};

std::optional<YamlSyntaxError> YamlDocument::parse(std::string_view text, std::size_t max_depth) {
  nodes_.clear();
  children_.clear();
  text_.clear();
  tags_.assign(1, std::string());
  Parser parser;
  yaml_parser_set_input_string(&parser.parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  // Scalar text (unescaped, folded) is about as long as the file at most: one allocation
  // rather than copies as it grows.
  text_.reserve(text.size());
  YamlBuilder builder(*this, max_depth);
  std::optional<YamlSyntaxError> error;
  for (;;) {
    Event event;
    if (!yaml_parser_parse(&parser.parser, &event.event)) {
      error = syntax_error(parser.parser, text);
      break;
    }
    event.held = true;
    if (event.event.type == YAML_STREAM_END_EVENT)
      break;
    error = builder.add(event.event);
    if (error)
      break;
  }
  if (error) {
    nodes_.clear();
    children_.clear();
    text_.clear();
  }
  return error;
}

} // namespace sluice::detail
