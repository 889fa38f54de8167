// NAME.test.yaml -> TestFileDecl. Shapes and spellings are checked here, with positions; that
// the named nodes, inputs and outputs exist is checked against the loaded pipeline by the
// runner.

#include "test_file.hpp"

#include "../suggest.hpp"
#include "../yaml_reader.hpp"

#include <sluice/error.hpp>

#include <re2/re2.h>

#include <algorithm>
#include <string>
#include <utility>

namespace sluice::detail {

namespace {

const std::vector<std::string> top_level_keys = {"version", "pipeline", "cases"};
const std::vector<std::string> case_keys = {"name", "inputs", "mocks", "cassette", "expect"};
const std::vector<std::string> mock_keys = {"outputs", "error"};
const std::vector<std::string> error_keys = {"category", "message"};
const std::vector<std::string> expect_keys = {"status", "outputs", "nodes", "calls"};
const std::vector<std::string> node_statuses = {"succeeded", "failed", "skipped", "cancelled",
                                                "mocked"};
const std::vector<std::string> categories = {"transient", "rate_limited",  "permission",
                                             "not_found", "invalid_input", "permanent",
                                             "internal"};

std::optional<ErrorCategory> category_named(std::string_view name) {
  for (ErrorCategory c :
       {ErrorCategory::transient, ErrorCategory::rate_limited, ErrorCategory::permission,
        ErrorCategory::not_found, ErrorCategory::invalid_input, ErrorCategory::permanent,
        ErrorCategory::internal})
    if (to_string(c) == name)
      return c;
  return std::nullopt;
}

class TestFileLoader : public YamlReader {
public:
  TestFileLoader(const std::string& file, std::vector<Diagnostic>& diagnostics,
                 const Limits& limits)
      : YamlReader(file, diagnostics, limits) {
    what_ = "the test file";
  }

  TestFileDecl load(std::string_view text) {
    TestFileDecl decl;
    decl.file = file_;
    YamlDocument document;
    if (!read_document(text, document))
      return decl;
    if (!document.has_root() || document.root().is_null()) {
      error({1, 1}, "the test file is empty",
            "start with 'version: 1', 'pipeline: FILE' and a 'cases:' list");
      return decl;
    }
    const YamlNode root = document.root();
    if (!root.is_map()) {
      error(root.mark(), "a test file must be a map with 'version', 'pipeline' and 'cases', got " +
                             kind_of(root));
      return decl;
    }
    try {
      load_file(root, decl);
    } catch (const LoadStopped&) {
      return TestFileDecl{file_, {}, {}, {}};
    }
    return decl;
  }

private:
  void load_file(YamlNode root, TestFileDecl& decl) {
    bool has_version = false;
    bool has_cases = false;
    for_each_entry(root, "duplicate key",
                   [&](const std::string& key, SourceMark key_mark, YamlNode value) {
                     const SourceMark mark = mark_of(value, key_mark);
                     if (key == "version") {
                       has_version = true;
                       const Value version = to_value(value, mark);
                       if (!version.is_int() || version.as_int() != 1)
                         error(mark, "'version' must be 1, got " + kind_of(value),
                               "this Sluice reads test files of 'version: 1'");
                     } else if (key == "pipeline") {
                       decl.pipeline_mark = mark;
                       if (auto text = text_of(value, mark, "'pipeline'"))
                         decl.pipeline = *text;
                     } else if (key == "cases") {
                       has_cases = true;
                       load_cases(value, mark, decl);
                     } else {
                       unknown_key(key_mark, key, " at the top level", top_level_keys);
                     }
                   });
    const SourceMark top = root.mark();
    if (!has_version)
      error(top, "the test file has no 'version'", "add 'version: 1' at the top");
    if (decl.pipeline.empty() && decl.pipeline_mark == SourceMark{})
      error(top, "the test file has no 'pipeline'",
            "add 'pipeline: NAME.yaml', the pipeline file it tests (relative to this file)");
    if (!has_cases)
      error(top, "the test file has no 'cases'", "add a 'cases:' list, each with a 'name'");
  }

  void load_cases(YamlNode node, SourceMark mark, TestFileDecl& decl) {
    if (!node.is_sequence()) {
      error(mark, "'cases' must be a list of cases, got " + kind_of(node));
      return;
    }
    for (std::size_t i = 0; i < node.children(); ++i)
      through(node.child(i), [&](YamlNode item) {
        TestCaseDecl c = load_case(item, mark_of(item, mark));
        if (c.name.empty())
          return;
        const auto same =
            std::find_if(decl.cases.begin(), decl.cases.end(),
                         [&](const TestCaseDecl& other) { return other.name == c.name; });
        if (same != decl.cases.end()) {
          error(c.mark, "two cases are named '" + c.name + "'",
                "the first is on line " + std::to_string(same->mark.line) +
                    "; names pick cases (--filter), so each must be unique");
          return;
        }
        decl.cases.push_back(std::move(c));
      });
  }

  TestCaseDecl load_case(YamlNode node, SourceMark mark) {
    TestCaseDecl c;
    c.mark = mark;
    if (!node.is_map()) {
      error(mark, "a case must be a map with 'name' and 'expect', got " + kind_of(node));
      return c;
    }
    bool named = false;
    for_each_entry(node, "duplicate key",
                   [&](const std::string& key, SourceMark key_mark, YamlNode value) {
                     const SourceMark value_mark = mark_of(value, key_mark);
                     if (key == "name") {
                       named = true;
                       if (auto text = text_of(value, value_mark, "a case's 'name'"))
                         c.name = *text;
                       if (c.name.empty())
                         error(value_mark, "a case's 'name' must not be empty");
                     } else if (key == "inputs") {
                       c.inputs_mark = value_mark;
                       c.inputs = to_value(value, value_mark);
                       if (!c.inputs.is_null() && !c.inputs.is_object()) {
                         error(value_mark, "'inputs' must be a map of input names to values, got " +
                                               kind_of(value));
                         c.inputs = Value();
                       }
                     } else if (key == "mocks") {
                       load_mocks(value, value_mark, c);
                     } else if (key == "cassette") {
                       c.cassette_mark = value_mark;
                       if (auto text = text_of(value, value_mark, "'cassette'"))
                         c.cassette = *text;
                       if (c.cassette.empty())
                         error(value_mark, "'cassette' must name a file",
                               "a cassette is written by: sluice run PIPELINE --record DIR");
                     } else if (key == "expect") {
                       load_expect(value, value_mark, c);
                     } else {
                       unknown_key(key_mark, key, " in a case", case_keys);
                     }
                   });
    if (!named) {
      error(mark, "a case has no 'name'", "add 'name:' saying what the case checks");
      c.name.clear();
    }
    return c;
  }

  void load_mocks(YamlNode node, SourceMark mark, TestCaseDecl& c) {
    if (node.is_null())
      return;
    if (!node.is_map()) {
      error(mark, "'mocks' must be a map of node ids to mocks, got " + kind_of(node));
      return;
    }
    for_each_entry(
        node, "a second mock of node",
        [&](const std::string& id, SourceMark key_mark, YamlNode value) {
          MockDecl m;
          m.node = id;
          m.mark = key_mark;
          m.mock.node = id;
          if (!value.is_map()) {
            error(mark_of(value, key_mark), "the mock of node '" + id +
                                                "' must be a map with 'outputs' or 'error', got " +
                                                kind_of(value));
            return;
          }
          bool error_written = false; // even when it is not valid (that is reported)
          for_each_entry(value, "duplicate key",
                         [&](const std::string& key, SourceMark field_mark, YamlNode field) {
                           const SourceMark field_value_mark = mark_of(field, field_mark);
                           if (key == "outputs") {
                             m.outputs_mark = field_value_mark;
                             m.mock.output = to_value(field, field_value_mark);
                           } else if (key == "error") {
                             error_written = true;
                             m.mock.error = load_error(id, field, field_value_mark);
                           } else {
                             unknown_key(field_mark, key, " in the mock of node '" + id + "'",
                                         mock_keys);
                           }
                         });
          if (m.outputs_mark && error_written)
            error(key_mark, "the mock of node '" + id + "' has both 'outputs' and 'error'",
                  "a mocked node either succeeds with outputs or fails with an error");
          else if (!m.outputs_mark && !error_written)
            error(key_mark, "the mock of node '" + id + "' has neither 'outputs' nor 'error'",
                  "add 'outputs: {...}' (what later nodes see) or 'error: {message: ...}'");
          else if (m.outputs_mark || m.mock.error)
            c.mocks.push_back(std::move(m));
        });
  }

  std::optional<NodeMock::Failure> load_error(const std::string& id, YamlNode node,
                                              SourceMark mark) {
    NodeMock::Failure failure;
    if (node.is_scalar()) { // `error: "text"` is short for `error: { message: text }`
      failure.message = std::string(node.text());
      return failure;
    }
    if (!node.is_map()) {
      error(mark, "the 'error' of the mock of node '" + id +
                      "' must be a message or a map (category, message), got " + kind_of(node));
      return std::nullopt;
    }
    bool ok = true;
    for_each_entry(node, "duplicate key",
                   [&](const std::string& key, SourceMark key_mark, YamlNode value) {
                     const SourceMark value_mark = mark_of(value, key_mark);
                     if (key == "category") {
                       const auto text = text_of(value, value_mark, "'category'");
                       const auto category = text ? category_named(*text) : std::nullopt;
                       if (!category) {
                         if (text)
                           error(value_mark, "unknown error category " + quoted(*text),
                                 "one of: " + join_names(categories));
                         ok = false;
                       } else {
                         failure.category = *category;
                       }
                     } else if (key == "message") {
                       if (auto text = text_of(value, value_mark, "'message'"))
                         failure.message = *text;
                     } else {
                       unknown_key(key_mark, key,
                                   " in the 'error' of the mock of node '" + id + "'", error_keys);
                     }
                   });
    if (!ok)
      return std::nullopt;
    if (failure.message.empty())
      failure.message = "mocked failure";
    return failure;
  }

  void load_expect(YamlNode node, SourceMark mark, TestCaseDecl& c) {
    if (node.is_null())
      return;
    if (!node.is_map()) {
      error(mark, "'expect' must be a map (status, outputs, nodes), got " + kind_of(node));
      return;
    }
    for_each_entry(
        node, "duplicate key", [&](const std::string& key, SourceMark key_mark, YamlNode value) {
          const SourceMark value_mark = mark_of(value, key_mark);
          if (key == "status") {
            c.expect_status_mark = value_mark;
            const auto text = text_of(value, value_mark, "the expected 'status'");
            if (text && *text != "succeeded" && *text != "failed")
              error(value_mark,
                    "the expected 'status' must be succeeded or failed, got " + quoted(*text));
            else if (text)
              c.expect_status = *text;
          } else if (key == "outputs") {
            if (!value.is_map()) {
              error(value_mark, "the expected 'outputs' must be a map of output names to values, "
                                "got " +
                                    kind_of(value));
              return;
            }
            for_each_entry(
                value, "duplicate key",
                [&](const std::string& name, SourceMark name_mark, YamlNode expected) {
                  c.expect_outputs.push_back(ExpectedOutput{
                      name, name_mark, load_matcher(expected, mark_of(expected, name_mark))});
                });
          } else if (key == "nodes") {
            if (!value.is_map()) {
              error(value_mark, "the expected 'nodes' must be a map of node ids to statuses, got " +
                                    kind_of(value));
              return;
            }
            for_each_entry(value, "duplicate key",
                           [&](const std::string& id, SourceMark id_mark, YamlNode status) {
                             const SourceMark status_mark = mark_of(status, id_mark);
                             const auto text = text_of(status, status_mark,
                                                       "the expected status of node '" + id + "'");
                             if (!text)
                               return;
                             if (std::find(node_statuses.begin(), node_statuses.end(), *text) ==
                                 node_statuses.end()) {
                               error(status_mark, "unknown node status " + quoted(*text),
                                     "one of: " + join_names(node_statuses));
                               return;
                             }
                             c.expect_nodes.push_back(ExpectedNode{id, id_mark, *text});
                           });
          } else if (key == "calls") {
            load_calls(value, value_mark, c);
          } else {
            unknown_key(key_mark, key, " in 'expect'", expect_keys);
          }
        });
  }

  // A list of "METHOD /path" (in this order), or `{ any_order: [...] }`.
  void load_calls(YamlNode node, SourceMark mark, TestCaseDecl& c) {
    c.calls_mark = mark;
    YamlNode list = node.target();
    if (list.is_map() && list.entries() == 1 && list.key(0).target().is_scalar() &&
        (list.key(0).target().text() == "any_order" || list.key(0).target().text() == "in_order")) {
      c.calls_any_order = list.key(0).target().text() == "any_order";
      mark = mark_of(list.value(0), mark);
      list = list.value(0).target();
    }
    if (!list.is_sequence()) {
      error(mark,
            "the expected 'calls' must be a list of \"METHOD /path\", or { any_order: [...] }, "
            "got " +
                kind_of(list));
      return;
    }
    std::vector<std::string> calls;
    for (std::size_t i = 0; i < list.children(); ++i) {
      const YamlNode call = list.child(i);
      const SourceMark call_mark = mark_of(call, mark);
      const auto text = text_of(call, call_mark, "a call");
      if (!text)
        continue;
      const std::size_t space = text->find(' ');
      const bool method_ok =
          space != 0 && space != std::string::npos &&
          std::all_of(text->begin(), text->begin() + static_cast<std::ptrdiff_t>(space),
                      [](char ch) { return ch >= 'A' && ch <= 'Z'; });
      if (!method_ok || text->size() == space + 1 || (*text)[space + 1] != '/' ||
          text->find_first_of("?# ", space + 1) != std::string::npos) {
        error(call_mark, "a call must read \"METHOD /path\", got " + quoted(*text),
              "e.g. \"POST /v2/users/me/meetings\": the method in capitals, then the URL's path "
              "(no host, no query)");
        continue;
      }
      calls.push_back(*text);
    }
    c.expect_calls = std::move(calls);
  }

  // `{ matches: REGEX }`, `{ contains: VALUE }` and `{ equals: VALUE }` are matchers; any
  // other value is expected as it is (an object with other keys, or more than one, too).
  ValueMatcher load_matcher(YamlNode node, SourceMark mark) {
    ValueMatcher matcher;
    matcher.mark = mark;
    if (node.target().is_map() && node.target().entries() == 1) {
      const YamlNode map = node.target();
      const YamlNode key = map.key(0).target();
      const std::string_view name = key.is_scalar() ? key.text() : std::string_view();
      const SourceMark value_mark = mark_of(map.value(0), mark_of(map.key(0), mark));
      if (name == "matches") {
        matcher.kind = ValueMatcher::Kind::matches;
        matcher.mark = value_mark;
        const auto text = text_of(map.value(0).target(), value_mark, "'matches'");
        if (!text)
          return matcher;
        matcher.value = Value(*text);
        auto pattern = std::make_shared<const re2::RE2>(*text, re2::RE2::Quiet);
        if (pattern->ok())
          matcher.pattern = std::move(pattern);
        else
          error(value_mark, "'matches' is not a valid regular expression: " + pattern->error(),
                "RE2 syntax (as Perl's, without backreferences and lookaround), searched for "
                "anywhere in the text");
        return matcher;
      }
      if (name == "contains" || name == "equals") {
        matcher.kind =
            name == "contains" ? ValueMatcher::Kind::contains : ValueMatcher::Kind::equals;
        matcher.mark = value_mark;
        matcher.value = to_value(map.value(0), value_mark);
        return matcher;
      }
    }
    matcher.value = to_value(node, mark);
    return matcher;
  }
};

} // namespace

TestFileDecl parse_test_file(std::string_view text, const std::string& file,
                             std::vector<Diagnostic>& diagnostics, const Limits& limits) {
  return TestFileLoader(file, diagnostics, limits).load(text);
}

} // namespace sluice::detail
