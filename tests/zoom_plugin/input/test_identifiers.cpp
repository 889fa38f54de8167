// meeting_id, occurrence_id and user_id: the forms accepted and the problems of the rest.

#include "input_test_support.hpp"

using namespace sluice::zoom::test;

TEST_CASE("meeting_id: digits only, int64") {
  CHECK(sluice::zoom::meeting_id_from(json(R"({"meeting_id": 85746065432})")) == "85746065432");
  CHECK(sluice::zoom::meeting_id_from(json(R"({"meeting_id": "85746065432"})")) == "85746065432");
  CHECK(sluice::zoom::meeting_id_from(json(R"({"meeting_id": 9223372036854775807})")) ==
        "9223372036854775807");
  const std::vector<Rejected> cases = {
      {R"({})", "meeting_id", "is required: the numeric meeting id"},
      {R"({"meeting_id": null})", "meeting_id", "is required"},
      {R"({"meeting_id": "857 4606 5432"})", "meeting_id",
       "use digits only (e.g. 85746065432), without the spaces or dashes"},
      {R"({"meeting_id": "abc"})", "meeting_id", "\"abc\" is not a Zoom id; use digits only"},
      {R"({"meeting_id": ""})", "meeting_id", "use digits only"},
      {R"({"meeting_id": "-5"})", "meeting_id", "use digits only"},
      {R"({"meeting_id": 0})", "meeting_id", "it must be a positive number"},
      {R"({"meeting_id": -85746065432})", "meeting_id", "it must be a positive number"},
      {R"({"meeting_id": "9223372036854775808"})", "meeting_id", "below 2^63"},
      {R"({"meeting_id": 8.5e10})", "meeting_id", "must be a number or a string of digits"},
      {R"({"meeting_id": true})", "meeting_id", "got a boolean true"},
  };
  for (const Rejected& c : cases) {
    CAPTURE(c.settings);
    check_single_problem(problems_of([&] { sluice::zoom::meeting_id_from(json(c.settings)); }),
                         c.field, c.fragment);
  }
}

TEST_CASE("occurrence_id: optional digits") {
  CHECK_FALSE(sluice::zoom::occurrence_id_from(json(R"({})")).has_value());
  CHECK(sluice::zoom::occurrence_id_from(json(R"({"occurrence_id": "1648194360000"})")) ==
        "1648194360000");
  CHECK(sluice::zoom::occurrence_id_from(json(R"({"occurrence_id": 1648194360000})")) ==
        "1648194360000");
  check_single_problem(
      problems_of([] { sluice::zoom::occurrence_id_from(json(R"({"occurrence_id": "16x"})")); }),
      "occurrence_id", "use digits only (e.g. 1648194360000)");
}

TEST_CASE("user_id: me by default, an e-mail or a Zoom user id, nothing needing escapes") {
  CHECK(sluice::zoom::user_id_from(json(R"({})")) == "me");
  CHECK(sluice::zoom::user_id_from(json(R"({"user_id": null})")) == "me");
  for (const char* ok :
       {"me", "ada.lovelace+zoom@example.co.uk", "KDcuGIm1QgePTO8WbOqwIQ", "z8yCxjabcdefg-12_3"})
    CHECK(sluice::zoom::user_id_from(sluice::Object{{"user_id", ok}}) == ok);
  for (const char* bad :
       {"", "a/b", "../users", "ada@", "ada lovelace@example.com", "a?b=c", "me@", "x%2F"}) {
    CAPTURE(bad);
    check_single_problem(problems_of([&] {
                           sluice::zoom::user_id_from(sluice::Object{{"user_id", bad}});
                         }),
                         "user_id",
                         "is not a Zoom user; use me (the connected user), an e-mail address");
  }
  check_single_problem(problems_of([] { sluice::zoom::user_id_from(json(R"({"user_id": 5})")); }),
                       "user_id", "must be text");
}
