// Fuzz target: a pipeline test file (NAME.test.yaml) through its loader, and each expectation
// it holds applied to values shaped by the input (matching, containing, the line diff of
// lists and maps), as `sluice test` does. Any text either loads or yields diagnostics; an
// exception, a crash, a hang or a leak is a finding.

#include "testing/test_file.hpp"
#include "testing/value_diff.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Diagnostic> diagnostics;
  const detail::TestFileDecl decl = detail::parse_test_file(text, "fuzz.test.yaml", diagnostics);
  for (const Diagnostic& diagnostic : diagnostics)
    (void)diagnostic.to_string();
  // What a run might have produced: the input's own text, and values built from the file.
  std::vector<Value> actuals{Value(std::string(text)), Value(), Value(Array{Value(1)})};
  for (const detail::TestCaseDecl& c : decl.cases) {
    actuals.push_back(c.inputs);
    for (const detail::MockDecl& mock : c.mocks)
      actuals.push_back(mock.mock.output);
  }
  for (const detail::TestCaseDecl& c : decl.cases)
    for (const detail::ExpectedOutput& expected : c.expect_outputs) {
      (void)detail::describe_expectation(expected.matcher);
      for (const Value& actual : actuals)
        (void)detail::mismatch(expected.matcher, actual);
    }
  return 0;
}
