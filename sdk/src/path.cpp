// Path syntax: `name`, `.name`, `[index]`, `["key"]`, `['key']`; see value.hpp.

#include <sluice/value.hpp>

#include <charconv>
#include <stdexcept>
#include <string>

namespace sluice {

namespace {

bool is_name_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) noexcept {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

bool is_plain_name(std::string_view s) noexcept {
  if (s.empty() || !is_name_start(s.front()))
    return false;
  for (char c : s)
    if (!is_name_char(c))
      return false;
  return true;
}

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

class Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  Path run() {
    Path path;
    if (text_.empty())
      return path;
    // The first segment is a bare name or a bracket; later ones start with '.' or '['.
    if (peek() == '[')
      bracket(path);
    else
      name(path, "a name or '['");
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '.') {
        ++pos_;
        name(path, "a name after '.'");
      } else if (c == '[') {
        bracket(path);
      } else {
        fail("expected '.' or '['");
      }
    }
    return path;
  }

private:
  char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("invalid path \"" + std::string(text_) + "\": unexpected " +
                                describe(text_, pos_) + " at offset " + std::to_string(pos_) +
                                ", " + what);
  }

  void name(Path& path, const char* expected) {
    if (pos_ >= text_.size() || !is_name_start(text_[pos_]))
      fail(std::string("expected ") + expected);
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_]))
      ++pos_;
    path.push_back(std::string(text_.substr(start, pos_ - start)));
  }

  void bracket(Path& path) {
    ++pos_; // '['
    const char c = peek();
    if (c == '"' || c == '\'') {
      ++pos_;
      std::string key;
      for (;;) {
        if (pos_ >= text_.size())
          fail(std::string("expected a closing ") + c);
        const char k = text_[pos_];
        if (k == c)
          break;
        if (k == '\\') {
          ++pos_;
          const char e = peek();
          if (e != '\\' && e != '"' && e != '\'')
            fail("expected \\\\, \\\" or \\' after a backslash");
          key += e;
          ++pos_;
          continue;
        }
        key += k;
        ++pos_;
      }
      ++pos_; // closing quote
      path.push_back(std::move(key));
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
    if (peek() != ']')
      fail("expected ']'");
    ++pos_;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

} // namespace

Path Path::parse(std::string_view text) {
  return Parser(text).run();
}

std::string Path::to_string() const {
  std::string out;
  for (const Segment& seg : segments_) {
    if (const std::string* key = std::get_if<std::string>(&seg)) {
      if (is_plain_name(*key)) {
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
