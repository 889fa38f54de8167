// The list meetings and delete meeting queries and their query strings.

#include "input_test_support.hpp"

using namespace sluice::zoom::test;

TEST_CASE("list meetings: query settings and the encoded query string") {
  const auto defaults = sluice::zoom::list_query_from(json(R"({"connection": "c"})"));
  CHECK(defaults.user_id == "me");
  CHECK(defaults.type == "scheduled");
  CHECK(defaults.page_size == 30);
  CHECK_FALSE(defaults.limit.has_value());
  CHECK(defaults.query_string() == "type=scheduled&page_size=30");
  CHECK(defaults.query_string("") == "type=scheduled&page_size=30");

  const auto query = sluice::zoom::list_query_from(json(
      R"({"user_id": "ada@example.com", "type": "upcoming_meetings", "page_size": 300,
          "from": "2026-01-01", "to": "2026-12-31", "limit": 5000000000})"));
  CHECK(query.user_id == "ada@example.com");
  CHECK(query.limit == 5000000000);
  CHECK(query.query_string("IAfJX3jsOLW7w3dokmFl84zOa0MAVGyMEB2+/=") ==
        "type=upcoming_meetings&page_size=300&from=2026-01-01&to=2026-12-31&"
        "next_page_token=IAfJX3jsOLW7w3dokmFl84zOa0MAVGyMEB2%2B%2F%3D");
  CHECK(sluice::zoom::list_query_from(json(R"({"page_size": 1})")).page_size == 1);
  for (const char* type :
       {"scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"})
    CHECK(sluice::zoom::list_query_from(sluice::Object{{"type", type}}).type == type);

  const std::vector<Rejected> cases = {
      {R"({"type": "past"})", "type",
       "\"past\" is not allowed; use one of scheduled, live, upcoming, upcoming_meetings, "
       "previous_meetings"},
      {R"({"type": 2})", "type", "must be text"},
      {R"({"page_size": 0})", "page_size", "0 is out of range; use 1 to 300 meetings per page"},
      {R"({"page_size": 301})", "page_size", "301 is out of range"},
      {R"({"from": "2026-1-1"})", "from", "is not a date; use yyyy-mm-dd"},
      {R"({"from": "2026-01-01T00:00:00Z"})", "from", "is not a date"},
      {R"({"to": "2026-02-30"})", "to", "2026-02-30 is not a real date: February 2026 has 28 days"},
      {R"({"from": 20260101})", "from", "must be a date yyyy-mm-dd as text"},
      {R"({"from": "2026-03-01", "to": "2026-02-01"})", "to", "2026-02-01 is before from"},
      {R"({"limit": 0})", "limit", "0 is out of range; use at least 1"},
      {R"({"user_id": "a b"})", "user_id", "is not a Zoom user"},
  };
  for (const Rejected& c : cases) {
    CAPTURE(c.settings);
    check_single_problem(problems_of([&] { sluice::zoom::list_query_from(json(c.settings)); }),
                         c.field, c.fragment);
  }
  const auto all = problems_of(
      [] { sluice::zoom::list_query_from(json(R"({"type": "x", "page_size": 0, "from": "x"})")); });
  CHECK(all.size() == 3);
}

TEST_CASE("delete meeting: id and query string") {
  const auto plain = sluice::zoom::delete_query_from(json(R"({"meeting_id": 85746065432})"));
  CHECK(plain.meeting_id == "85746065432");
  CHECK(plain.query_string() == "");
  const auto full = sluice::zoom::delete_query_from(json(
      R"({"meeting_id": "85746065432", "occurrence_id": "1648194360000",
          "schedule_for_reminder": true, "cancel_meeting_reminder": false})"));
  CHECK(full.query_string() ==
        "occurrence_id=1648194360000&schedule_for_reminder=true&cancel_meeting_reminder=false");
  const auto some = sluice::zoom::delete_query_from(
      json(R"({"meeting_id": 1, "cancel_meeting_reminder": true})"));
  CHECK(some.query_string() == "cancel_meeting_reminder=true");
  const auto problems = problems_of([] {
    sluice::zoom::delete_query_from(
        json(R"({"meeting_id": "x", "occurrence_id": true, "schedule_for_reminder": "yes"})"));
  });
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].field == "meeting_id");
  CHECK(problems[1].field == "occurrence_id");
  CHECK(problems[2].field == "schedule_for_reminder");
  CHECK(problems[2].message == "must be true or false, got text \"yes\"");
}
