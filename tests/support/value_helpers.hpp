// What the SDK value tests share (test_value, test_json, test_path, test_node): short
// builders for arrays and objects, the message of an expected exception, and RandomValues,
// a seeded generator of arbitrary values for the property tests.
#pragma once

#include "numbered.hpp"

#include <sluice/value.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <utility>

// Each test executable includes this from one file; `inline` keeps helpers a file does not
// use from warning as unused.
namespace test_support {

using sluice::Array;
using sluice::Object;
using sluice::Value;

inline constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// The message of the exception `fn` throws as E, or "<no exception>".
template <class E, class F> std::string message_of(F&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

inline Value obj(std::initializer_list<std::pair<std::string, Value>> members) {
  return Value(Object(members));
}

inline Value arr(std::initializer_list<Value> elements) {
  return Value(Array(elements));
}

class RandomValues {
public:
  explicit RandomValues(std::uint64_t seed) : rng_(seed) {}

  Value value(int depth = 0) {
    const int pick = static_cast<int>(below(depth < 5 ? 8 : 5));
    switch (pick) {
    case 0:
      return Value();
    case 1:
      return Value(below(2) == 0);
    case 2:
      return Value(integer());
    case 3:
      return Value(real());
    case 4:
      return Value(text());
    case 5:
    case 6: {
      Array a;
      const std::size_t n = below(6);
      for (std::size_t i = 0; i < n; ++i)
        a.push_back(value(depth + 1));
      return Value(std::move(a));
    }
    default: {
      Object o;
      // Sometimes large enough for the indexed representation.
      const std::size_t n = below(4) == 0 ? below(30) : below(6);
      for (std::size_t i = 0; i < n; ++i)
        o.emplace_back(below(3) == 0 ? numbered("k", below(8)) : text(), value(depth + 1));
      return Value(std::move(o));
    }
    }
  }

private:
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  std::int64_t integer() {
    static constexpr std::int64_t special[] = {kMin,
                                               kMax,
                                               kMin + 1,
                                               kMax - 1,
                                               0,
                                               -1,
                                               1,
                                               (std::int64_t{1} << 53) + 1,
                                               -((std::int64_t{1} << 53) + 1)};
    switch (below(3)) {
    case 0:
      return special[below(std::size(special))];
    case 1:
      return static_cast<std::int64_t>(below(2000)) - 1000;
    default:
      return static_cast<std::int64_t>(rng_());
    }
  }

  double real() {
    static constexpr double special[] = {0.0,
                                         -0.0,
                                         0.1,
                                         -1.5,
                                         1.0,
                                         100.0,
                                         1e21,
                                         1e22,
                                         1e-7,
                                         5e-324,
                                         -5e-324,
                                         2.2250738585072014e-308,
                                         std::numeric_limits<double>::max(),
                                         std::numeric_limits<double>::lowest(),
                                         9007199254740993.0,
                                         123456789.125};
    switch (below(4)) {
    case 0:
      return special[below(std::size(special))];
    case 1:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
    case 2:
      return static_cast<double>(static_cast<std::int64_t>(below(100000)) - 50000);
    default:
      for (;;) { // any finite bit pattern: tiny, huge, subnormal, negative
        const std::uint64_t bits = rng_();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (std::isfinite(d))
          return d;
      }
    }
  }

  void append_utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string text() {
    std::string s;
    const std::size_t n = below(12);
    for (std::size_t i = 0; i < n; ++i) {
      switch (below(6)) {
      case 0:
        s += static_cast<char>(below(0x20)); // control characters, incl. NUL
        break;
      case 1:
        s += "\"\\/"[below(3)];
        break;
      case 2:
        append_utf8(s, static_cast<std::uint32_t>(0x80 + below(0x800 - 0x80)));
        break;
      case 3: {
        std::uint32_t cp;
        do
          cp = static_cast<std::uint32_t>(0x800 + below(0x10000 - 0x800));
        while (cp >= 0xD800 && cp <= 0xDFFF);
        append_utf8(s, cp);
        break;
      }
      case 4:
        append_utf8(s, static_cast<std::uint32_t>(0x10000 + below(0x110000 - 0x10000)));
        break;
      default:
        s += static_cast<char>(0x20 + below(0x5F)); // printable ASCII
      }
    }
    return s;
  }

  std::mt19937_64 rng_;
};

} // namespace test_support
