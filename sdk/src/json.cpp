// JSON reading (simdjson DOM) and writing for sluice::Value.
//
// Limits: parsing accepts at most simdjson's default depth (1024 nested arrays/objects).
// Writing and comparing are iterative, so values built in C++ of any depth serialise
// without recursion (their output may simply be too deep to parse back).

#include <sluice/value.hpp>

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_set>

namespace sluice {

JsonError::JsonError(const std::string& message, std::size_t offset)
    : std::runtime_error(message), offset_(offset) {
}

namespace {

// ---------------------------------------------------------------------------------------
// UTF-8

bool is_continuation(unsigned char c) noexcept {
  return (c & 0xC0) == 0x80;
}

// Length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or 0 when it is
// malformed: stray continuation bytes, overlong forms, surrogates (U+D800..U+DFFF), code
// points above U+10FFFF and truncated sequences all count as malformed (RFC 3629).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const std::size_t n = s.size();
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  if (c < 0x80)
    return 1;
  if (c < 0xC2)
    return 0;
  if (c < 0xE0)
    return (i + 1 < n && is_continuation(at(i + 1))) ? 2 : 0;
  if (c < 0xF0) {
    if (i + 2 >= n || !is_continuation(at(i + 1)) || !is_continuation(at(i + 2)))
      return 0;
    if (c == 0xE0 && at(i + 1) < 0xA0)
      return 0; // overlong
    if (c == 0xED && at(i + 1) >= 0xA0)
      return 0; // surrogate
    return 3;
  }
  if (c < 0xF5) {
    if (i + 3 >= n || !is_continuation(at(i + 1)) || !is_continuation(at(i + 2)) ||
        !is_continuation(at(i + 3)))
      return 0;
    if (c == 0xF0 && at(i + 1) < 0x90)
      return 0; // overlong
    if (c == 0xF4 && at(i + 1) >= 0x90)
      return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}

std::size_t first_invalid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0)
      return i;
    i += len;
  }
  return JsonError::npos;
}

// ---------------------------------------------------------------------------------------
// Writing

// Whether any of the 8 bytes in `word` needs more than copying into a JSON string: a control
// character, '"', '\\' or a byte of a multi-byte UTF-8 sequence (checked on its own). Exact,
// not an estimate: each test is the "has a byte less than n" form, whose answer (not which
// byte) is exact.
constexpr bool needs_care(std::uint64_t word) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const std::uint64_t quote = word ^ (ones * '"');
  const std::uint64_t backslash = word ^ (ones * '\\');
  const std::uint64_t control = (word - ones * 0x20) & ~word;
  const std::uint64_t zero_quote = (quote - ones) & ~quote;
  const std::uint64_t zero_backslash = (backslash - ones) & ~backslash;
  return ((control | zero_quote | zero_backslash | word) & highs) != 0;
}

void write_string(std::string_view s, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0; // start of the bytes not yet copied to `out`
  std::size_t i = 0;
  const auto flush = [&] { out.append(s.data() + run, i - run); };
  while (i < s.size()) {
    // Most strings are plain ASCII: pass over them 8 bytes at a time.
    while (i + 8 <= s.size()) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, sizeof word);
      if (needs_care(word))
        break;
      i += 8;
    }
    if (i >= s.size())
      break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (const std::size_t len = utf8_sequence_length(s, i)) {
        i += len;
        continue;
      }
      // A Value built in C++ may hold arbitrary bytes; emitting them would produce JSON
      // nobody (including us) can read back, so each bad byte becomes U+FFFD.
      flush();
      out += "\\ufffd";
      run = ++i;
      continue;
    }
    flush();
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
    run = ++i;
  }
  flush();
  out += '"';
}

void write_double(double d, std::string& out) {
  if (!std::isfinite(d)) {
    out += "null"; // JSON has no NaN or infinity
    return;
  }
  char buf[64];
  // Shortest representation that reads back as the same double.
  const auto res = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, static_cast<std::size_t>(res.ptr - buf));
  out += text;
  // "100" would read back as an integer; keep the type.
  if (text.find_first_of(".e") == std::string_view::npos)
    out += ".0";
}

void write_scalar(const Value& v, std::string& out) {
  switch (v.type()) {
  case ValueType::null:
    out += "null";
    break;
  case ValueType::boolean:
    out += v.as_bool() ? "true" : "false";
    break;
  case ValueType::integer: {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, v.as_int());
    out.append(buf, res.ptr);
    break;
  }
  case ValueType::number:
    write_double(v.as_double(), out);
    break;
  case ValueType::string:
    write_string(v.as_string(), out);
    break;
  case ValueType::array:
    out += "[]"; // only reached for empty containers
    break;
  case ValueType::object:
    out += "{}";
    break;
  }
}

// Iterative so that the depth of a value never translates into stack depth.
void write_json(const Value& root, std::string& out, bool pretty) {
  struct Frame {
    const Value* container;
    std::size_t next;
  };
  std::vector<Frame> stack;
  const auto newline = [&](std::size_t depth) {
    out += '\n';
    out.append(depth * 2, ' ');
  };
  const Value* v = &root;
  while (v != nullptr) {
    if ((v->is_array() || v->is_object()) && v->size() != 0) {
      out += v->is_array() ? '[' : '{';
      stack.push_back({v, 0});
    } else {
      write_scalar(*v, out);
    }
    v = nullptr;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < f.container->size()) {
        if (f.next > 0)
          out += ',';
        if (pretty)
          newline(stack.size());
        if (f.container->is_array()) {
          v = &f.container->as_array()[f.next];
        } else {
          const auto& member = f.container->as_object()[f.next];
          write_string(member.first, out);
          out += pretty ? ": " : ":";
          v = &member.second;
        }
        ++f.next;
        break;
      }
      if (pretty)
        newline(stack.size() - 1);
      out += f.container->is_array() ? ']' : '}';
      stack.pop_back();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Reading

std::string at_offset(std::string message, std::size_t offset) {
  std::string prefix = "invalid JSON";
  if (offset != JsonError::npos)
    prefix += " at byte " + std::to_string(offset);
  return prefix + ": " + message;
}

JsonError make_error(std::string message, std::size_t offset = JsonError::npos) {
  return JsonError(at_offset(std::move(message), offset), offset);
}

// simdjson reports a bad number without saying which or why. On that (rare) path we scan
// the text for the first number token that does not fit, to name it and its offset.
std::optional<JsonError> diagnose_numbers(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < n && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      ++i;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < n && (text[i] == '-' || text[i] == '+' || text[i] == '.' || text[i] == 'e' ||
                     text[i] == 'E' || (text[i] >= '0' && text[i] <= '9')))
      ++i;
    const std::string_view token = text.substr(start, i - start);
    const bool integral = token.find_first_of(".eE") == std::string_view::npos;
    if (integral) {
      std::int64_t value = 0;
      const auto res = std::from_chars(token.data(), token.data() + token.size(), value);
      if (res.ec == std::errc::result_out_of_range)
        return make_error("integer " + std::string(token) +
                              " is too large: integers are kept as int64 (-9223372036854775808 "
                              "to 9223372036854775807); send it as a string to keep it exact",
                          start);
      if (res.ec != std::errc() || res.ptr != token.data() + token.size())
        return make_error("malformed number '" + std::string(token) + "'", start);
    } else {
      double value = 0;
      const auto res = std::from_chars(token.data(), token.data() + token.size(), value);
      if (res.ec != std::errc() && res.ec != std::errc::result_out_of_range)
        return make_error("malformed number '" + std::string(token) + "'", start);
      if (res.ptr != token.data() + token.size())
        return make_error("malformed number '" + std::string(token) + "'", start);
      // Underflow reads as 0 (simdjson agrees); overflow is what it rejected.
      if (res.ec == std::errc::result_out_of_range) {
        const std::size_t e = token.find_first_of("eE");
        const bool negative_exponent =
            e != std::string_view::npos && e + 1 < token.size() && token[e + 1] == '-';
        if (!negative_exponent)
          return make_error("number " + std::string(token) +
                                " is out of range for a 64-bit double (at most about 1.8e308)",
                            start);
      }
    }
  }
  return std::nullopt;
}

JsonError translate(simdjson::error_code code, std::string_view text) {
  using simdjson::error_code;
  switch (code) {
  case error_code::EMPTY:
    return make_error("empty input, expected a JSON value");
  case error_code::UTF8_ERROR:
    return make_error("invalid UTF-8", first_invalid_utf8(text));
  case error_code::DEPTH_ERROR:
    return make_error("arrays/objects nested deeper than 1024 levels");
  case error_code::NUMBER_ERROR: // also integers beyond uint64 (3.0.1 has no BIGINT_ERROR)
    if (auto e = diagnose_numbers(text))
      return *e;
    return make_error("malformed or out-of-range number");
  case error_code::TAPE_ERROR:
    return make_error("bad structure: a missing or extra comma, colon, bracket or brace, a "
                      "missing key, or content after the end of the document");
  case error_code::STRING_ERROR:
    return make_error("bad escape sequence in a string");
  case error_code::UNCLOSED_STRING:
    return make_error("a string is not closed (missing '\"')");
  case error_code::UNESCAPED_CHARS:
    return make_error("control character inside a string (must be escaped, e.g. \\n)");
  case error_code::T_ATOM_ERROR:
    return make_error("unknown literal starting with 't' (expected true)");
  case error_code::F_ATOM_ERROR:
    return make_error("unknown literal starting with 'f' (expected false)");
  case error_code::N_ATOM_ERROR:
    return make_error("unknown literal starting with 'n' (expected null)");
  case error_code::CAPACITY:
    return make_error("document too large");
  case error_code::MEMALLOC:
    return make_error("out of memory");
  default:
    return make_error(simdjson::error_message(code));
  }
}

// Recursion is bounded by simdjson's depth limit (1024).
Value convert(simdjson::dom::element e, std::string_view text) {
  using simdjson::dom::element_type;
  switch (e.type()) {
  case element_type::ARRAY: {
    const simdjson::dom::array arr = e.get_array().value_unsafe();
    Array out;
    out.reserve(arr.size());
    for (simdjson::dom::element child : arr)
      out.push_back(convert(child, text));
    return Value(std::move(out));
  }
  case element_type::OBJECT: {
    const simdjson::dom::object obj = e.get_object().value_unsafe();
    Object out;
    out.reserve(obj.size());
    for (simdjson::dom::key_value_pair field : obj)
      out.emplace_back(std::string(field.key), convert(field.value, text));
    const std::size_t count = out.size();
    Value result(std::move(out));
    // The Value constructor merges repeated keys; a shrink means the input had one. Only
    // then do we pay for finding which key it was.
    if (result.size() != count) {
      std::unordered_set<std::string_view> seen;
      for (simdjson::dom::key_value_pair field : obj) {
        if (!seen.insert(field.key).second) {
          std::string quoted;
          write_string(field.key, quoted);
          throw make_error("duplicate key " + quoted + " in an object");
        }
      }
    }
    return result;
  }
  case element_type::INT64:
    return Value(e.get_int64().value_unsafe());
  case element_type::UINT64: {
    if (auto err = diagnose_numbers(text))
      throw *err;
    throw make_error("integer " + std::to_string(e.get_uint64().value_unsafe()) +
                     " is too large: integers are kept as int64");
  }
  case element_type::DOUBLE:
    return Value(e.get_double().value_unsafe());
  case element_type::STRING:
    return Value(e.get_string().value_unsafe());
  case element_type::BOOL:
    return Value(e.get_bool().value_unsafe());
  case element_type::NULL_VALUE:
    return Value();
  }
  return Value();
}

} // namespace

Value Value::parse_json(std::string_view text) {
  if (text.empty())
    throw make_error("empty input, expected a JSON value");
  // One parser and one padded input buffer per thread: both keep their allocations between
  // calls, which is most of simdjson's speed on small documents.
  thread_local simdjson::dom::parser parser;
  thread_local std::string buffer;
  buffer.assign(text);
  buffer.resize(text.size() + simdjson::SIMDJSON_PADDING, '\0');
  struct Trim {
    // Do not keep megabytes per thread after one huge document.
    ~Trim() {
      if (buffer.capacity() > (std::size_t{16} << 20)) {
        buffer.clear();
        buffer.shrink_to_fit();
      }
    }
  } trim;
  simdjson::dom::element root;
  if (const auto code = parser.parse(buffer.data(), text.size(), false).get(root))
    throw translate(code, text);
  return convert(root, text);
}

std::string Value::to_json(bool pretty) const {
  std::string out;
  write_json(*this, out, pretty);
  return out;
}

} // namespace sluice
