// Tests for node.hpp (sdk/src/node.cpp): setting types and which values they accept,
// NodeSpec::find_setting, and log level names.

#include "support/value_helpers.hpp"

#include <sluice/node.hpp>
#include <sluice/value.hpp>

#include <doctest/doctest.h>

using namespace sluice;
using namespace test_support;

TEST_CASE("setting types, specs and log levels") {
  CHECK(to_string(SettingType::any) == "any");
  CHECK(to_string(SettingType::string) == "string");
  CHECK(to_string(SettingType::integer) == "integer");
  CHECK(to_string(SettingType::number) == "number");
  CHECK(to_string(SettingType::boolean) == "boolean");
  CHECK(to_string(SettingType::array) == "array");
  CHECK(to_string(SettingType::object) == "object");

  CHECK(accepts(SettingType::any, Value()));
  CHECK(accepts(SettingType::any, arr({})));
  CHECK(accepts(SettingType::number, Value(3)));
  CHECK(accepts(SettingType::number, Value(3.5)));
  CHECK_FALSE(accepts(SettingType::number, Value("3")));
  CHECK(accepts(SettingType::integer, Value(3)));
  CHECK_FALSE(accepts(SettingType::integer, Value(3.0)));
  CHECK(accepts(SettingType::string, Value("")));
  CHECK_FALSE(accepts(SettingType::string, Value()));
  CHECK(accepts(SettingType::boolean, Value(false)));
  CHECK_FALSE(accepts(SettingType::boolean, Value(0)));
  CHECK(accepts(SettingType::array, arr({1})));
  CHECK_FALSE(accepts(SettingType::array, obj({})));
  CHECK(accepts(SettingType::object, obj({})));
  CHECK_FALSE(accepts(SettingType::object, arr({})));

  NodeSpec spec;
  spec.settings.push_back({"url", SettingType::string, "where", true, Value()});
  spec.settings.push_back({"tries", SettingType::integer, "how often", false, Value(3)});
  REQUIRE(spec.find_setting("tries") != nullptr);
  CHECK(spec.find_setting("tries")->default_value.as_int() == 3);
  CHECK(spec.find_setting("url") == &spec.settings[0]);
  CHECK(spec.find_setting("nope") == nullptr);

  CHECK(to_string(LogLevel::debug) == "debug");
  CHECK(to_string(LogLevel::info) == "info");
  CHECK(to_string(LogLevel::warning) == "warning");
  CHECK(to_string(LogLevel::error) == "error");
}
