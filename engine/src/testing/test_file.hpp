#pragma once
// The load stage of pipeline tests: a NAME.test.yaml file in, its cases (inputs, mocks,
// expectations, each with its file:line:column) out. What the cases are checked against is
// test_runner.cpp's.

#include <sluice/diagnostic.hpp>
#include <sluice/limits.hpp>
#include <sluice/run.hpp>
#include <sluice/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace sluice::detail {

/// How an expected value is compared with what the run produced.
struct ValueMatcher {
  enum class Kind { equals, matches, contains };
  Kind kind = Kind::equals;
  /// The value for `equals` and `contains`; the pattern's text for `matches`.
  Value value;
  /// Compiled from `value` for `matches`. RE2 (Debian's libre2): its matching takes time in
  /// proportion to the text and never recurses, where std::regex overflowed the stack on a
  /// 100,000-character output.
  std::shared_ptr<const re2::RE2> pattern;
  SourceMark mark;
};

struct ExpectedOutput {
  std::string name;
  SourceMark mark;
  ValueMatcher matcher;
};

struct ExpectedNode {
  std::string id;
  SourceMark mark;
  /// succeeded, failed, skipped, cancelled or mocked.
  std::string status;
};

struct MockDecl {
  std::string node;
  SourceMark mark;
  NodeMock mock;
  /// Where `outputs:` is, when it was given.
  std::optional<SourceMark> outputs_mark;
};

struct TestCaseDecl {
  std::string name;
  SourceMark mark;
  Value inputs; ///< an object, or null
  SourceMark inputs_mark;
  std::vector<MockDecl> mocks;
  std::optional<std::string> expect_status;
  SourceMark expect_status_mark;
  std::vector<ExpectedOutput> expect_outputs;
  std::vector<ExpectedNode> expect_nodes;
  /// `cassette:` as written (relative to the test file unless absolute), or empty.
  std::string cassette;
  SourceMark cassette_mark;
  /// `expect: calls`, each "METHOD /path"; compared in order unless `calls_any_order`.
  std::optional<std::vector<std::string>> expect_calls;
  bool calls_any_order = false;
  SourceMark calls_mark;
};

struct TestFileDecl {
  std::string file;
  /// As written (relative to the test file's folder unless absolute).
  std::string pipeline;
  SourceMark pipeline_mark;
  std::vector<TestCaseDecl> cases;
};

/// Reads a test file, collecting every problem of its shape into `diagnostics`.
TestFileDecl parse_test_file(std::string_view text, const std::string& file,
                             std::vector<Diagnostic>& diagnostics, const Limits& limits = {});

} // namespace sluice::detail
