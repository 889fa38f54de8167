#pragma once
// Helpers for the tests of the zoom.* settings checks: a fixed "now", collecting the problems
// a call throws, and checking accepted bodies against the emulator's copy of Zoom's schema.

#include <sluice_zoom/meeting_input.hpp>

#include "schema.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::zoom::test {

using namespace std::chrono;
using sluice::Value;
using sluice::zoom::InputError;
using sluice::zoom::InvalidInput;

// 2026-11-28T15:40:00Z, the "now" of most cases.
inline const system_clock::time_point now = sys_days{year{2026} / 11 / 28} + 15h + 40min;

inline system_clock::time_point utc(int y, unsigned m, unsigned d, int h, int min) {
  return sys_days{year{y} / month{m} / day{d}} + hours{h} + minutes{min};
}

inline Value json(std::string_view text) {
  return Value::parse_json(text);
}

// The problems `call` throws; fails the test when it throws none.
inline std::vector<InvalidInput> problems_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const InputError& error) {
    return error.problems();
  }
  FAIL("no InputError thrown");
  return {};
}

inline std::vector<InvalidInput> create_problems(std::string_view settings,
                                                 system_clock::time_point when = now) {
  return problems_of([&] { sluice::zoom::create_meeting_body(json(settings), when); });
}

inline std::vector<InvalidInput> update_problems(std::string_view settings,
                                                 system_clock::time_point when = now) {
  return problems_of([&] { sluice::zoom::update_meeting_body(json(settings), when); });
}

// Zoom's create/update schema as the emulator enforces it.
inline void check_against_zoom_schema(const Value& body) {
  std::vector<sluice::zoom_emulator::FieldError> errors;
  sluice::zoom_emulator::validate_schema(sluice::zoom_emulator::meeting_request_schema(), body, "",
                                         errors);
  for (const auto& error : errors)
    FAIL_CHECK(error.field << ": " << error.message << " in " << body.to_json());
}

// One problem with this field whose message contains `fragment`.
inline void check_single_problem(const std::vector<InvalidInput>& problems, std::string_view field,
                                 std::string_view fragment) {
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].field == field);
  CHECK_MESSAGE(problems[0].message.find(fragment) != std::string::npos, problems[0].message);
}

struct Accepted {
  const char* settings;
  const char* body; // the exact body expected
};

struct Rejected {
  const char* settings;
  const char* field;
  const char* fragment; // part of the message
};

} // namespace sluice::zoom::test
