// The create and update meeting bodies: each field checked by its table, then the rules
// across fields (which meeting types use which fields).

// "§n" cites a section of docs/zoom-api.md; "spec" cites Zoom's OpenAPI document,
// plugins/zoom/spec/zoom-plugin-operations.json.

#include <sluice_zoom/meeting_input.hpp>

#include "ascii.hpp"
#include "identifiers.hpp"
#include "meeting_fields.hpp"
#include "problems.hpp"
#include "recurrence.hpp"
#include "shape.hpp"
#include "start_time.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace sluice::zoom {

namespace {

using Clock = std::chrono::system_clock;
using detail::accepted_by;
using detail::Field;
using detail::fields_of;
using detail::meeting_body_shape;
using detail::Op;
using detail::Problems;
using detail::shown;

std::string_view meeting_type_name(std::int64_t type) {
  switch (type) {
  case 1:
    return "instant";
  case 2:
    return "scheduled";
  case 3:
    return "recurring, no fixed time";
  case 8:
    return "recurring, fixed time";
  case 10:
    return "screen share only";
  default:
    return "unknown";
  }
}

// §2 password: at most 10 characters (checked by the table); the 2023 spec allows letters,
// digits and @ - _ *, Zoom's 2025 text names ! and # as well; both sets are accepted so a
// passcode current Zoom takes is never refused here. Account passcode policies may add rules
// that only Zoom can check.
bool password_char(char c) {
  return detail::ascii_alnum(c) || std::string_view("@-_*!#").find(c) != std::string_view::npos;
}

class BodyBuilder {
public:
  BodyBuilder(const Value& settings, Clock::time_point now, Op op)
      : settings_(settings), now_(std::chrono::floor<std::chrono::seconds>(now)), op_(op) {}

  Value build() {
    if (!settings_.is_object()) {
      std::string message = "the node's settings must be an object, got ";
      message += detail::kind_of(settings_);
      problems_.add("", std::move(message));
      problems_.throw_if_any();
    }
    misplaced_keys();
    Object body;
    for (const Field& field : fields_of(meeting_body_shape)) {
      const Value* value = settings_.find(field.name);
      if (!value || value->is_null())
        continue;
      if (!accepted_by(field, op_)) {
        problems_.add(std::string(field.name), detail::not_accepted_message(field, op_));
        continue;
      }
      if (auto checked =
              detail::check_shape(field.shape, *value, std::string(field.name), op_, problems_))
        body.emplace_back(std::string(field.name), std::move(*checked));
    }
    Value result(std::move(body));
    cross_field_checks(result);
    if (op_ == Op::update && result.size() == 0 && problems_.empty()) {
      std::string message = "nothing to update: set at least one of ";
      bool first = true;
      for (const Field& field : fields_of(meeting_body_shape)) {
        if (!accepted_by(field, Op::update))
          continue;
        if (!first)
          message += ", ";
        message += field.name;
        first = false;
      }
      message += " (meeting_id only says which meeting)";
      problems_.add("", std::move(message));
    }
    problems_.throw_if_any();
    return result;
  }

private:
  // A settings{} or recurrence{} key written at the top level would otherwise be ignored.
  void misplaced_keys() {
    for (const auto& [key, value] : settings_.as_object()) {
      if (detail::find_field(meeting_body_shape, key))
        continue;
      if (detail::find_field(detail::meeting_settings_shape, key))
        problems_.add(key, "is a meeting setting: put it inside 'settings', e.g. settings: { " +
                               key + ": ... }");
      else if (detail::find_field(detail::recurrence_shape, key))
        problems_.add(key, "is a recurrence field: put it inside 'recurrence'");
    }
  }

  void cross_field_checks(const Value& body) {
    std::optional<std::int64_t> type;
    if (const Value* given = body.find("type"))
      type = given->as_int();
    else if (const Value* raw = settings_.find("type");
             op_ == Op::create && (!raw || raw->is_null()))
      type = 2; // spec: type defaults to 2 (scheduled)
    const auto type_known_and = [&](auto predicate) { return type && predicate(*type); };
    // "<rule>; this meeting's type is 1 (instant)"
    const auto for_this_type = [&](std::string_view rule) {
      std::string message(rule);
      message += "; this meeting's type is ";
      message += std::to_string(*type);
      message += " (";
      message += meeting_type_name(*type);
      message += ')';
      return message;
    };

    bool zone_usable = false;
    if (const Value* zone = body.find("timezone"))
      zone_usable = detail::check_timezone(zone->as_string(), problems_);

    if (const Value* start = body.find("start_time")) {
      if (type_known_and([](std::int64_t t) { return t == 1 || t == 3; }))
        problems_.add("start_time", for_this_type("is only used by scheduled (type 2) and "
                                                  "recurring fixed-time (type 8) meetings"));
      else
        detail::check_start_time(start->as_string(), body.find("timezone"), zone_usable,
                                 /*must_be_future=*/!type || *type == 2 || *type == 8, now_,
                                 problems_);
    }

    if (const Value* password = body.find("password")) {
      const std::string_view text = password->as_string();
      if (text.empty())
        problems_.add("password", "is empty; leave it unset for no passcode, or set "
                                  "default_password: true to have Zoom generate one");
      else if (!std::all_of(text.begin(), text.end(), password_char))
        problems_.add("password", "may contain only letters, digits and @ - _ * ! #");
    }

    if (const Value* host = body.find("schedule_for")) {
      if (!detail::valid_user(host->as_string()))
        problems_.add("schedule_for", shown(*host) + " is not a Zoom user; use an e-mail address "
                                                     "or a Zoom user id");
      // §2: Zoom refuses schedule_for on instant meetings (400, code 3000).
      if (type_known_and([](std::int64_t t) { return t == 1; }))
        problems_.add("schedule_for", "cannot be used with instant meetings (type 1); schedule "
                                      "the meeting (type 2) to create it for another user");
    }

    if (const Value* pre = body.find("pre_schedule"); pre && pre->as_bool()) {
      // spec pre_schedule: only for types 2 and 3.
      if (type_known_and([](std::int64_t t) { return t != 2 && t != 3; }))
        problems_.add("pre_schedule", for_this_type("true is only allowed for scheduled (type 2) "
                                                    "and recurring no-fixed-time (type 3) "
                                                    "meetings"));
    }

    if (const Value* recurrence = body.find("recurrence")) {
      // spec recurrence: "Use this object only for a meeting with type 8".
      if (type_known_and([](std::int64_t t) { return t != 8; }))
        problems_.add("recurrence",
                      for_this_type("is only used by recurring fixed-time meetings (type 8)"));
      else
        detail::check_recurrence(*recurrence, now_, problems_);
    }
  }

  const Value& settings_;
  std::chrono::sys_seconds now_;
  Op op_;
  Problems problems_;
};

} // namespace

Value create_meeting_body(const Value& settings, Clock::time_point now) {
  return BodyBuilder(settings, now, Op::create).build();
}

Value update_meeting_body(const Value& settings, Clock::time_point now) {
  return BodyBuilder(settings, now, Op::update).build();
}

} // namespace sluice::zoom
