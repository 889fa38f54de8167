// `sluice test`: finds NAME.test.yaml files, runs their cases (sluice/pipeline_tests.hpp),
// prints a line per case and a summary, and writes JUnit XML for CI systems on request.

#include "commands.hpp"

#include <sluice/encoding.hpp>
#include <sluice/pipeline_tests.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

namespace fs = std::filesystem;

namespace sluice::cli {

namespace {

constexpr std::string_view test_suffix = ".test.yaml";

bool is_test_file(const fs::path& path) {
  return path.filename().string().ends_with(test_suffix);
}

// The test files under `roots` (files as given, folders searched recursively), sorted; a
// root that does not exist is reported and counted in `missing`.
std::vector<fs::path> find_test_files(const std::vector<std::string>& roots, int& missing) {
  std::vector<fs::path> found;
  for (const std::string& root : roots) {
    std::error_code ec;
    const fs::file_status status = fs::status(root, ec);
    if (ec || !fs::exists(status)) {
      std::cerr << fmt::format("sluice: error: {}: no such file or folder\n", printable(root));
      ++missing;
      continue;
    }
    if (!fs::is_directory(status)) {
      found.emplace_back(root);
      continue;
    }
    // One unreadable folder or a symbolic-link loop must not hide the other tests.
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (is_test_file(it->path()) && it->is_regular_file(ec))
        found.push_back(it->path());
    if (ec)
      std::cerr << fmt::format("sluice: warning: {}: {}\n", printable(root), ec.message());
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

std::string indented(const std::string& text, std::string_view indent) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::size_t stop = end == std::string::npos ? text.size() : end;
    out.append(indent).append(text, start, stop - start).append("\n");
    start = stop + 1;
  }
  return out;
}

// Text for an XML attribute or element: no control byte (XML 1.0 forbids most), the five
// special characters escaped.
std::string xml_text(std::string_view raw) {
  return markup_escape(printable(raw));
}

// printable() keeps newlines as "\n" escapes; a failure's body reads better with real lines.
std::string xml_body(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    std::size_t start = 0;
    while (start <= line.size()) {
      const std::size_t end = line.find('\n', start);
      const std::size_t stop = end == std::string::npos ? line.size() : end;
      out += xml_text(std::string_view(line).substr(start, stop - start));
      out += '\n';
      if (end == std::string::npos)
        break;
      start = stop + 1;
    }
  }
  return out;
}

std::string seconds(std::chrono::milliseconds ms) {
  return fmt::format("{:.3f}", static_cast<double>(ms.count()) / 1000.0);
}

void write_junit(const fs::path& file, const std::vector<TestFileResult>& results) {
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::size_t errors = 0;
  std::chrono::milliseconds total{0};
  std::string suites;
  for (const TestFileResult& r : results) {
    const std::string name = xml_text(r.file.string());
    if (!r.problems.empty()) {
      ++errors;
      ++tests;
      std::vector<std::string> lines;
      for (const Diagnostic& d : r.problems)
        lines.push_back(d.to_string());
      suites += fmt::format("  <testsuite name=\"{0}\" tests=\"1\" failures=\"0\" errors=\"1\" "
                            "time=\"0.000\">\n    <testcase classname=\"{0}\" name=\"(test "
                            "file)\" time=\"0.000\">\n      <error message=\"{1}\">{2}</error>\n"
                            "    </testcase>\n  </testsuite>\n",
                            name, xml_text(r.problems.front().message), xml_body(lines));
      continue;
    }
    std::size_t failed = 0;
    std::chrono::milliseconds time{0};
    std::string cases;
    for (const TestCaseResult& c : r.cases) {
      time += c.duration;
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"", name,
                           xml_text(c.name), seconds(c.duration));
      if (c.passed) {
        cases += "/>\n";
        continue;
      }
      ++failed;
      cases +=
          fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                      xml_text(c.differences.front().substr(0, c.differences.front().find('\n'))),
                      xml_body(c.differences));
    }
    tests += r.cases.size();
    failures += failed;
    total += time;
    suites += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
                          "time=\"{}\">\n{}  </testsuite>\n",
                          name, r.cases.size(), failed, seconds(time), cases);
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << fmt::format("<testsuites name=\"sluice test\" tests=\"{}\" failures=\"{}\" "
                     "errors=\"{}\" time=\"{}\">\n",
                     tests, failures, errors, seconds(total))
      << suites << "</testsuites>\n";
  out.close();
  if (!out)
    throw std::runtime_error("cannot write the JUnit report " + file.string());
}

} // namespace

int test_command(const TestArgs& args, const PluginArgs& plugins) {
  const auto started = std::chrono::steady_clock::now();
  int missing = 0;
  const std::vector<std::string> roots =
      args.paths.empty() ? std::vector<std::string>{"."} : args.paths;
  const std::vector<fs::path> files = find_test_files(roots, missing);
  if (files.empty()) {
    std::cerr << fmt::format("sluice: error: no test files (*{}) found in {}\n", test_suffix,
                             printable(fmt::format("{}", fmt::join(roots, ", "))));
    return exit_usage;
  }

  auto owned = make_engine(0, plugins, args.credentials, args.limits);
  Engine& engine = *owned;
  TestRunOptions options;
  options.filter = args.filter;
  options.rerecord = args.rerecord;

  std::vector<TestFileResult> results;
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t bad_files = 0;
  for (const fs::path& file : files) {
    TestFileResult r = run_test_file(engine, file, options);
    const std::string name = printable(file.string());
    if (!r.problems.empty()) {
      ++bad_files;
      for (const Diagnostic& d : r.problems)
        std::cerr << d.to_string() << '\n';
      std::cout << fmt::format("ERROR {}: {} problem{}, no case ran\n", name, r.problems.size(),
                               r.problems.size() == 1 ? "" : "s");
    }
    for (const TestCaseResult& c : r.cases) {
      std::cout << fmt::format("{} {}: {} ({} ms)\n", c.passed ? "ok  " : "FAIL", name,
                               printable(c.name), c.duration.count());
      if (c.passed) {
        ++passed;
        continue;
      }
      ++failed;
      for (const std::string& difference : c.differences)
        std::cout << indented(difference, "    ");
    }
    results.push_back(std::move(r));
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string summary = fmt::format("{} passed, {} failed", passed, failed);
  if (bad_files > 0)
    summary += fmt::format(", {} test file{} with problems", bad_files, bad_files == 1 ? "" : "s");
  if (passed + failed == 0 && bad_files == 0 && !args.filter.empty())
    summary += fmt::format(" (no case matches '{}')", printable(args.filter));
  std::cout << fmt::format("{} ({} file{}, {:.2f} s)\n", summary, files.size(),
                           files.size() == 1 ? "" : "s", elapsed);
  if (!args.junit.empty())
    write_junit(args.junit, results);
  if (bad_files > 0 || missing > 0)
    return exit_usage;
  return failed > 0 ? exit_failed : exit_ok;
}

} // namespace sluice::cli
