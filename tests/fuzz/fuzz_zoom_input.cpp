// Fuzz target: the zoom.* settings checks (plugins/zoom/input) over settings parsed from the
// input as JSON. Every function either throws InputError with at least one problem or
// answers; an accepted create or update body must also pass the emulator's copy of Zoom's
// request schema (the oracle the unit tests use), so a body Zoom would refuse is a finding.

#include "schema.hpp"

#include <sluice_zoom/meeting_input.hpp>

#include <sluice/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using sluice::Value;
using namespace std::chrono;

// A fixed "now" (2026-11-28T15:40:00Z, the unit tests' own), so an input means the same
// thing on every run: whether a start_time is in the future must not depend on the clock.
const system_clock::time_point now = sys_days{year{2026} / 11 / 28} + 15h + 40min;

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_zoom_input: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Runs one check; InputError is its documented refusal and must name a problem.
void expect_answer_or_input_error(const char* name, const std::function<void()>& check) {
  try {
    check();
  } catch (const sluice::zoom::InputError& e) {
    if (e.problems().empty())
      broken("InputError without a problem from", name);
  }
}

void check_against_zoom_schema(const char* name, const Value& settings, const Value& body) {
  std::vector<sluice::zoom_emulator::FieldError> errors;
  sluice::zoom_emulator::validate_schema(sluice::zoom_emulator::meeting_request_schema(), body, "",
                                         errors);
  if (errors.empty())
    return;
  std::string detail = std::string(name) + " accepted " + settings.to_json() + "\nbody " +
                       body.to_json() + "\nZoom's schema says:";
  for (const auto& error : errors)
    detail += "\n  " + error.field + ": " + error.message;
  broken("a body Zoom's schema refuses", detail);
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// What the plugin puts in a URL path unescaped: the header promises no other character.
bool path_safe(std::string_view text) {
  return !text.empty() &&
         text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789-_.@+") == std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Value settings;
  try {
    settings = Value::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const sluice::JsonError&) {
    return 0; // not settings at all; fuzz_json covers the parser
  }

  expect_answer_or_input_error("create_meeting_body", [&] {
    check_against_zoom_schema("create_meeting_body", settings,
                              sluice::zoom::create_meeting_body(settings, now));
  });
  expect_answer_or_input_error("update_meeting_body", [&] {
    check_against_zoom_schema("update_meeting_body", settings,
                              sluice::zoom::update_meeting_body(settings, now));
  });
  expect_answer_or_input_error("meeting_id_from", [&] {
    const std::string id = sluice::zoom::meeting_id_from(settings);
    if (!all_digits(id))
      broken("meeting_id_from gave a non-digit id", id);
  });
  expect_answer_or_input_error("occurrence_id_from", [&] {
    const auto id = sluice::zoom::occurrence_id_from(settings);
    if (id && !all_digits(*id))
      broken("occurrence_id_from gave a non-digit id", *id);
  });
  expect_answer_or_input_error("user_id_from", [&] {
    const std::string user = sluice::zoom::user_id_from(settings);
    if (!path_safe(user))
      broken("user_id_from gave an id that needs escaping in a URL path", user);
  });
  expect_answer_or_input_error("list_query_from", [&] {
    const sluice::zoom::ListQuery query = sluice::zoom::list_query_from(settings);
    (void)query.query_string();
    (void)query.query_string("a token & = ?");
  });
  expect_answer_or_input_error("delete_query_from", [&] {
    const sluice::zoom::DeleteQuery query = sluice::zoom::delete_query_from(settings);
    if (!all_digits(query.meeting_id))
      broken("delete_query_from gave a non-digit id", query.meeting_id);
    (void)query.query_string();
  });
  return 0;
}
