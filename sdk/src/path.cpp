// Paths into values (`a.b[2].c`): the one parser of the path syntax, and its text form.

#include <sluice/value.hpp>

#include <sluice/detail/name_chars.hpp>

#include <charconv>
#include <stdexcept>
#include <string>

namespace sluice {

namespace {

using detail::is_name_char;
using detail::is_name_start;

// Names what is at `offset` for error messages: the character, or "end of path".
std::string describe(std::string_view text, std::size_t offset) {
  if (offset >= text.size())
    return "end of path";
  const auto c = static_cast<unsigned char>(text[offset]);
  if (c < 0x20 || c >= 0x7F) {
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[c >> 4] + hex[c & 0xF];
  }
  return std::string("'") + text[offset] + "'";
}

// One parser for every path: Path::parse (a whole string, as in `core.json`'s `path`) and
// Path::parse_segments (the path after a template reference's root). No recursion: a path's
// length never becomes stack depth.
class Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  Path whole() {
    Path path;
    if (text_.empty())
      return path;
    // The first segment is a bare name or a bracket; later ones start with '.' or '['.
    if (peek() == '[')
      bracket(path);
    else
      name(path, "expected a name or '['");
    segments(path);
    if (pos_ < text_.size())
      fail("expected '.' or '['");
    return path;
  }

  Path prefix(std::size_t& length) {
    Path path;
    segments(path);
    length = pos_;
    return path;
  }

private:
  char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  [[noreturn]] void fail(std::string expected) const { fail_at(std::move(expected), pos_); }

  [[noreturn]] void fail_at(std::string expected, std::size_t offset) const {
    std::string message = "invalid path \"";
    message.append(text_).append("\": unexpected ").append(describe(text_, offset));
    message.append(" at offset ").append(std::to_string(offset)).append(", ").append(expected);
    throw PathSyntaxError(message, std::move(expected), offset);
  }

  void segments(Path& path) {
    for (;;) {
      const char c = peek();
      if (c == '.') {
        ++pos_;
        name(path, "expected a name after '.'");
      } else if (c == '[') {
        bracket(path);
      } else {
        return;
      }
    }
  }

  void skip_spaces() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')
      ++pos_;
  }

  void name(Path& path, const char* expected) {
    if (pos_ >= text_.size() || !is_name_start(text_[pos_]))
      fail(expected);
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_]))
      ++pos_;
    path.push_back(std::string(text_.substr(start, pos_ - start)));
  }

  void bracket(Path& path) {
    ++pos_; // '['
    skip_spaces();
    const char c = peek();
    if (c == '"' || c == '\'') {
      path.push_back(quoted_key(c));
    } else if (c >= '0' && c <= '9') {
      std::size_t index = 0;
      const char* first = text_.data() + pos_;
      const char* last = text_.data() + text_.size();
      const auto res = std::from_chars(first, last, index);
      if (res.ec != std::errc())
        fail("index too large");
      pos_ += static_cast<std::size_t>(res.ptr - first);
      path.push_back(index);
    } else {
      fail("expected an index or a quoted key after '['");
    }
    skip_spaces();
    if (peek() != ']')
      fail("expected ']'");
    ++pos_;
  }

  std::string quoted_key(char quote) {
    ++pos_; // opening quote
    std::string key;
    for (;;) {
      if (pos_ >= text_.size())
        fail(std::string("expected a closing ") + quote);
      const char k = text_[pos_];
      if (k == quote)
        break;
      ++pos_;
      if (k != '\\') {
        key += k;
        continue;
      }
      switch (peek()) {
      case '\\':
      case '"':
      case '\'':
        key += peek();
        break;
      case 'n':
        key += '\n';
        break;
      case 't':
        key += '\t';
        break;
      default:
        fail("expected \\\\, \\\", \\', \\n or \\t after a backslash");
      }
      ++pos_;
    }
    ++pos_; // closing quote
    return key;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

} // namespace

PathSyntaxError::PathSyntaxError(const std::string& message, std::string expected,
                                 std::size_t offset)
    : std::invalid_argument(message), expected_(std::move(expected)), offset_(offset) {
}

Path Path::parse(std::string_view text) {
  return Parser(text).whole();
}

Path Path::parse_segments(std::string_view text, std::size_t& length) {
  return Parser(text).prefix(length);
}

std::string Path::to_string() const {
  std::string out;
  for (const Segment& seg : segments_) {
    if (const std::string* key = std::get_if<std::string>(&seg)) {
      if (detail::is_name(*key)) {
        if (!out.empty())
          out += '.';
        out += *key;
      } else {
        out += "[\"";
        for (char c : *key) {
          if (c == '"' || c == '\\')
            out += '\\';
          out += c;
        }
        out += "\"]";
      }
    } else {
      out += '[';
      out += std::to_string(std::get<std::size_t>(seg));
      out += ']';
    }
  }
  return out;
}

} // namespace sluice
