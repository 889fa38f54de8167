#pragma once
/// @file
/// Pipeline tests: a `NAME.test.yaml` file beside a pipeline holds cases (inputs, mocks that
/// stand in for nodes, expectations); `run_test_file` loads it and its pipeline and runs the
/// cases. The `sluice test` command is built on it. The file format is in the README,
/// "Testing pipelines".

#include <sluice/diagnostic.hpp>
#include <sluice/export.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace sluice {

class Engine;

/// One case's verdict.
struct TestCaseResult {
  std::string name;
  bool passed = false;
  /// What differed, one entry per expectation that did not hold (an entry may span lines:
  /// expected and actual values shown as a diff). Empty when it passed.
  std::vector<std::string> differences;
  std::chrono::milliseconds duration{0};
};

/// A test file's verdicts.
struct TestFileResult {
  std::filesystem::path file;
  /// Problems that kept the file from running (its shape, its pipeline not loading, a mock
  /// of a node the pipeline does not have...), with positions. When any, `cases` is empty.
  std::vector<Diagnostic> problems;
  /// The cases that ran, in the file's order.
  std::vector<TestCaseResult> cases;
};

struct TestRunOptions {
  /// Only cases whose name contains this text; empty: all.
  std::string filter;
  /// Cases of one file run at the same time on up to this many threads; 0: the hardware's.
  unsigned parallel = 0;
  /// Cases with a `cassette:` run for real instead of replaying it (with the engine's
  /// connection store and network), and their cassettes are recorded again from what they
  /// sent, also when stale. Cases then run one at a time; a cassette that several cases name is
  /// recorded by the first of them.
  bool rerecord = false;
};

/// Loads `file` and the pipeline it names (with `engine`'s node types and limits) and runs its
/// cases on `engine`. Never throws for a bad file: that is `problems`.
SLUICE_API TestFileResult run_test_file(Engine& engine, const std::filesystem::path& file,
                                        const TestRunOptions& options = {});

} // namespace sluice
