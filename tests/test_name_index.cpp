// Tests for the compiler's name lookups: NameIndex (engine/src/name_index.cpp), whose hash
// reads names of up to 16 bytes as words, and the name scanner of name_chars.hpp. The
// compiler tests cover them through whole pipelines; these reach every length class and
// the names that differ only where the word reads overlap.

#include "name_index.hpp"
#include <sluice/detail/name_chars.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

using namespace sluice::detail;

namespace {

// Every length from 0 to 40 (each branch of the hash: under 4, 4-7, 8-16, longer), and for
// each a few names differing in one byte at the start, the middle and the end.
std::deque<std::string> names_of_every_length() {
  std::deque<std::string> names;
  for (std::size_t length = 0; length <= 40; ++length) {
    const std::string base(length, 'a');
    names.push_back(base);
    if (length == 0)
      continue;
    for (std::size_t at : {std::size_t{0}, length / 2, length - 1}) {
      std::string changed = base;
      changed[at] = 'b';
      names.push_back(changed);
    }
  }
  return names;
}

} // namespace

TEST_CASE("NameIndex finds every name it holds, of any length, and no other") {
  std::deque<std::string> names = names_of_every_length();
  NameIndex index;
  std::uint32_t next = 0;
  std::vector<std::string> kept; // the distinct ones, in index order
  for (const std::string& name : names) {
    const auto [at, added] = index.emplace(name, next);
    if (added) {
      CHECK(at == next);
      kept.push_back(name);
      ++next;
    } else {
      // Only a name seen before is refused: e.g. "b" changed at its start and its end.
      CHECK(kept[at] == name);
    }
  }
  REQUIRE(kept.size() > 100);
  for (std::uint32_t i = 0; i < kept.size(); ++i) {
    const auto found = index.find(kept[i]);
    REQUIRE(found.has_value());
    CHECK(*found == i);
  }
  // Names it does not hold: each kept name with one byte more, one fewer, or one changed to 'c'.
  for (const std::string& name : kept) {
    const std::string longer = name + "a";
    if (std::find(kept.begin(), kept.end(), longer) == kept.end())
      CHECK_FALSE(index.find(longer).has_value());
    if (!name.empty()) {
      std::string other = name;
      other[other.size() / 2] = 'c';
      CHECK_FALSE(index.find(other).has_value());
    }
  }
}

TEST_CASE("NameIndex tells apart a hundred thousand ids that share a prefix, as it grows") {
  // Generated pipelines name their nodes like this; the table grows from empty (no reserve).
  std::deque<std::string> ids;
  NameIndex index;
  for (std::uint32_t i = 0; i < 100'000; ++i) {
    ids.push_back("node-" + std::to_string(i));
    const auto [at, added] = index.emplace(ids.back(), i);
    REQUIRE(added);
    REQUIRE(at == i);
  }
  for (std::uint32_t i = 0; i < 100'000; i += 7)
    CHECK(index.find(ids[i]) == i);
  CHECK(index.emplace(ids[4711], 5).first == 4711); // a duplicate keeps its first index
  CHECK_FALSE(index.find("node-100000").has_value());
  CHECK_FALSE(index.find("node-").has_value());
}

TEST_CASE("NameIndex: names noted as recent are found as before, and so is every other") {
  // 5,000 names share 1,024 recent places: most notes overwrite another name's, and a look-up
  // must fall through to the table whenever the place holds someone else.
  std::deque<std::string> ids;
  NameIndex index;
  for (std::uint32_t i = 0; i < 5'000; ++i) {
    ids.push_back("step_" + std::to_string(i * 7919));
    REQUIRE(index.emplace(ids.back(), i).second);
  }
  CHECK(index.emplace(ids[17], 5'000).first == 17); // a duplicate, noted below past the end
  for (std::uint32_t i = 0; i <= 5'000; ++i) {
    index.note_recent(i);
    if (i < 5'000)
      CHECK(index.find(ids[i]) == i);       // just noted
    CHECK(index.find(ids[i / 2]) == i / 2); // noted a while ago, maybe overwritten
    CHECK(index.find(ids[4'999 - i % 5'000]) == 4'999 - i % 5'000); // not yet noted
    CHECK_FALSE(index.find("step_" + std::to_string(i * 7919 + 1)).has_value());
  }
}

TEST_CASE("NameIndex: names added with the hash prefetch() gave are found, duplicates refused") {
  // The compiler's first pass: each name prefetched a few ahead, added with that hash.
  std::deque<std::string> names = names_of_every_length();
  NameIndex index;
  index.reserve(names.size());
  std::uint32_t next = 0;
  for (const std::string& name : names) {
    const auto [at, added] = index.emplace(name, next, index.prefetch(name));
    CHECK(index.find(name) == at);
    if (added)
      ++next;
  }
  REQUIRE(next > 100);
  for (const std::string& name : names) {
    const auto found = index.find(name);
    REQUIRE(found.has_value());
    CHECK_FALSE(index.emplace(name, next, index.prefetch(name)).second);
  }
}

TEST_CASE("NameIndex: a duplicate noted as recent leaves every look-up as it was") {
  // As the compiler numbers nodes: the duplicate of "b" takes index 2 and gets no name of its
  // own, and "" (an invalid id, reported elsewhere) is a name like any other here.
  NameIndex index;
  CHECK(index.emplace("a", 0).second);
  CHECK(index.emplace("b", 1).second);
  CHECK(index.emplace("b", 2).first == 1);
  CHECK(index.emplace("", 3).second);
  CHECK(index.emplace("c", 4).second);
  for (std::uint32_t i = 0; i <= 4; ++i) {
    index.note_recent(i);
    CHECK(index.find("a") == 0u);
    CHECK(index.find("b") == 1u);
    CHECK(index.find("") == 3u);
    CHECK(index.find("c") == 4u);
    CHECK_FALSE(index.find("d").has_value());
  }
}

TEST_CASE("names and white space by table") {
  CHECK(name_end("fetch_users.value", 0) == 11);
  CHECK(name_end("a-b9 rest", 0) == 4);
  CHECK(name_end("9lives", 0) == 0); // a name starts with a letter or '_'
  CHECK(name_end("-x", 0) == 0);
  CHECK(name_end("x.yz", 2) == 4);
  CHECK(name_end("x.", 2) == 2); // at the end
  CHECK(name_end("_", 0) == 1);
  // Bytes past ASCII are not name characters (UTF-8 names go through the parser's errors).
  CHECK(name_end("ab\xc3\xa9", 0) == 2);
  std::size_t front = 99;
  CHECK(trim_space(" \t\r\n x y \n", front) == "x y");
  CHECK(front == 5);
  CHECK(trim_space("   ", front).empty());
  CHECK(trim_space("", front).empty());
  CHECK(front == 0);
  CHECK_FALSE(is_space('\v')); // only space, tab, CR and LF, as the YAML strings have them
  CHECK_FALSE(is_name_char('.'));
  CHECK(is_name_char('-'));
  CHECK_FALSE(is_name_start('-'));
}
