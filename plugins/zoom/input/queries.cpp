// The query strings of list meetings and delete meeting: their settings, and the
// percent-encoding that puts values into a query or a path.

// "§n" cites a section of docs/zoom-api.md.

#include <sluice_zoom/meeting_input.hpp>

#include "ascii.hpp"
#include "identifiers.hpp"
#include "problems.hpp"
#include "shape.hpp"
#include "start_time.hpp"

#include <sluice/encoding.hpp>

#include <limits>

namespace sluice::zoom {

namespace {

using detail::integer_range;
using detail::Op;
using detail::Problems;
using detail::wrong_kind;

void add_query(std::string& query, std::string_view key, std::string_view value) {
  if (!query.empty())
    query += '&';
  query += key;
  query += '=';
  query += percent_encode(value);
}

constexpr std::string_view list_types[] = {"scheduled", "live", "upcoming", "upcoming_meetings",
                                           "previous_meetings"};

std::optional<std::string> list_date(const Value& settings, std::string_view key,
                                     Problems& problems) {
  const Value* value = settings.find(key);
  if (!value || value->is_null())
    return std::nullopt;
  if (!value->is_string()) {
    problems.add(std::string(key), wrong_kind("must be a date yyyy-mm-dd as text", *value));
    return std::nullopt;
  }
  if (std::string problem = detail::date_problem(value->as_string()); !problem.empty()) {
    problems.add(std::string(key), std::move(problem));
    return std::nullopt;
  }
  return std::string(value->as_string());
}

std::optional<bool> optional_bool(const Value& settings, std::string_view key, Problems& problems) {
  const Value* value = settings.find(key);
  if (!value || value->is_null())
    return std::nullopt;
  if (!value->is_bool()) {
    problems.add(std::string(key), wrong_kind("must be true or false", *value));
    return std::nullopt;
  }
  return value->as_bool();
}

} // namespace

ListQuery list_query_from(const Value& settings) {
  Problems problems;
  ListQuery query;
  query.user_id = detail::user_id(settings, problems);
  if (const Value* type = settings.find("type"); type && !type->is_null()) {
    if (detail::check_shape(detail::string_enum(list_types), *type, "type", Op::both, problems))
      query.type = std::string(type->as_string());
  }
  // §1, §6: page_size defaults to 30, at most 300.
  if (const Value* size = settings.find("page_size"); size && !size->is_null()) {
    if (detail::check_shape(integer_range(1, 300, "meetings per page"), *size, "page_size",
                            Op::both, problems))
      query.page_size = static_cast<int>(size->as_int());
  }
  query.from = list_date(settings, "from", problems);
  query.to = list_date(settings, "to", problems);
  if (query.from && query.to && *query.from > *query.to)
    problems.add("to", *query.to + " is before from (" + *query.from + ")");
  if (const Value* limit = settings.find("limit"); limit && !limit->is_null()) {
    if (detail::check_shape(integer_range(1, std::numeric_limits<std::int64_t>::max(), "meetings"),
                            *limit, "limit", Op::both, problems))
      query.limit = limit->as_int();
  }
  problems.throw_if_any();
  return query;
}

std::string ListQuery::query_string(std::string_view next_page_token) const {
  std::string query;
  add_query(query, "type", type);
  add_query(query, "page_size", std::to_string(page_size));
  if (from)
    add_query(query, "from", *from);
  if (to)
    add_query(query, "to", *to);
  if (!next_page_token.empty())
    add_query(query, "next_page_token", next_page_token);
  return query;
}

DeleteQuery delete_query_from(const Value& settings) {
  Problems problems;
  DeleteQuery query;
  auto id = detail::meeting_id(settings, problems);
  query.occurrence_id = detail::occurrence_id(settings, problems);
  query.schedule_for_reminder = optional_bool(settings, "schedule_for_reminder", problems);
  query.cancel_meeting_reminder = optional_bool(settings, "cancel_meeting_reminder", problems);
  problems.throw_if_any();
  query.meeting_id = std::move(*id);
  return query;
}

std::string DeleteQuery::query_string() const {
  std::string query;
  if (occurrence_id)
    add_query(query, "occurrence_id", *occurrence_id);
  if (schedule_for_reminder)
    add_query(query, "schedule_for_reminder", *schedule_for_reminder ? "true" : "false");
  if (cancel_meeting_reminder)
    add_query(query, "cancel_meeting_reminder", *cancel_meeting_reminder ? "true" : "false");
  return query;
}

} // namespace sluice::zoom
