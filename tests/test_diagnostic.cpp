// Tests for Diagnostic and LoadError (engine/src/diagnostic.cpp): how a problem and a list
// of problems are printed.

#include <sluice/diagnostic.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace sluice;

TEST_CASE("Diagnostic and LoadError formatting") {
  CHECK(Diagnostic{"f.yaml", {3, 7}, "bad", ""}.to_string() == "f.yaml:3:7: error: bad");
  CHECK(Diagnostic{"f.yaml", {3, 7}, "bad", "fix it"}.to_string() ==
        "f.yaml:3:7: error: bad\n  hint: fix it");
  CHECK(Diagnostic{"<code>", {}, "bad", ""}.to_string() == "<code>: error: bad");
  const LoadError error({Diagnostic{"a", {1, 2}, "x", "h"}, Diagnostic{"a", {3, 4}, "y", ""}});
  CHECK(std::string(error.what()) == "a:1:2: error: x\n  hint: h\na:3:4: error: y");
  CHECK(error.diagnostics().size() == 2);
}
