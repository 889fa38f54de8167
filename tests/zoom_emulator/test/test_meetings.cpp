// The Meetings and Users API against the real emulator binary: consistency, validation,
// time zones, pagination, and conformance to Zoom's published schemas.

#include "test_support.hpp"

#include "schema.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

using namespace sluice::zoom_emulator::test;
using sluice::Object;
using sluice::Value;

namespace {

struct ApiFixture {
  EmulatorProcess emulator;
  HttpClient client{emulator.port()};
  std::string token = s2s_access_token(client);

  explicit ApiFixture(std::vector<std::string> arguments = {"--plan", "business"})
      : emulator(std::move(arguments)) {}

  HttpResult call(const std::string& method, const std::string& target,
                  const std::string& body = {}) {
    return client.api(method, target, token, body);
  }
  Value create(const std::string& body) {
    const HttpResult answer = call("POST", "/v2/users/me/meetings", body);
    REQUIRE(answer.status == 201);
    return answer.json();
  }
  std::string meeting_path(const Value& meeting) {
    return "/v2/meetings/" + std::to_string(meeting["id"].as_int());
  }
};

std::set<std::string> error_fields(const HttpResult& answer) {
  std::set<std::string> fields;
  const Value body = answer.json(); // keep it alive while iterating over its members
  for (const Value& error : body["errors"].as_array())
    fields.insert(std::string(error["field"].as_string()));
  return fields;
}

// Zoom's OpenAPI for the plugin's six operations (plugins/zoom/spec/README.md); CMake passes
// its path. The file is part of the repository, so a missing file fails the test.
Value load_operations_spec() {
  std::ifstream file(SLUICE_ZOOM_SPEC);
  REQUIRE_MESSAGE(file.is_open(), "cannot read " SLUICE_ZOOM_SPEC);
  std::ostringstream text;
  text << file.rdbuf();
  return Value::parse_json(text.str());
}

const Value& schema_at(const Value& spec, const std::string& path, const std::string& method,
                       const std::string& status) {
  const Value& operation = spec["paths"][path][method];
  if (status == "request")
    return operation["requestBody"]["content"]["application/json"]["schema"];
  return operation["responses"][status]["content"]["application/json"]["schema"];
}

void check_schema(const Value& schema, const Value& value, const std::string& what) {
  REQUIRE_MESSAGE(schema.is_object(), "no schema for " << what);
  std::vector<sluice::zoom_emulator::FieldError> errors;
  sluice::zoom_emulator::validate_schema(schema, value, "", errors);
  for (const auto& error : errors)
    FAIL_CHECK(what << ": " << error.field << ": " << error.message);
}

} // namespace

TEST_CASE("create, get, update, list and delete stay consistent") {
  ApiFixture api;
  const Value created = api.create(
      R"({"topic":"Weekly sync","type":2,"start_time":"2031-03-04T15:00:00Z","duration":45,)"
      R"("agenda":"Numbers","password":"abc123","settings":{"waiting_room":true}})");
  CHECK(created["id"].as_int() >= 10'000'000'000);
  CHECK(created["uuid"].is_string());
  CHECK(created["host_id"].is_string());
  CHECK(created["start_time"] == Value("2031-03-04T15:00:00Z"));
  CHECK(created["join_url"].as_string().find(std::to_string(created["id"].as_int())) !=
        std::string::npos);
  CHECK(created["start_url"].is_string());
  CHECK(created["created_at"].as_string().back() == 'Z');
  CHECK(created["settings"]["waiting_room"] == Value(true));

  const std::string path = api.meeting_path(created);
  const HttpResult fetched = api.call("GET", path);
  REQUIRE(fetched.status == 200);
  CHECK(fetched.json()["topic"] == Value("Weekly sync"));
  CHECK(fetched.json()["status"] == Value("waiting"));
  CHECK(fetched.json()["host_id"] == created["host_id"]);

  const HttpResult updated =
      api.call("PATCH", path, R"({"topic":"Renamed","settings":{"mute_upon_entry":true}})");
  CHECK(updated.status == 204);
  CHECK(updated.body.empty());
  const Value after = api.call("GET", path).json();
  CHECK(after["topic"] == Value("Renamed"));
  CHECK(after["settings"]["mute_upon_entry"] == Value(true));
  CHECK(after["settings"]["waiting_room"] == Value(true)); // untouched settings survive
  CHECK(after["agenda"] == Value("Numbers"));

  const Value listed = api.call("GET", "/v2/users/me/meetings").json();
  REQUIRE(listed["meetings"].size() == 1);
  CHECK(listed["meetings"][0]["id"] == created["id"]);
  CHECK(listed["meetings"][0]["topic"] == Value("Renamed"));

  const HttpResult deleted = api.call("DELETE", path);
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  const HttpResult again = api.call("DELETE", path);
  CHECK(again.status == 404);
  CHECK(again.json()["code"] == Value(3001));
  CHECK(api.call("GET", path).json()["code"] == Value(3001));
  CHECK(api.call("PATCH", path, "{}").status == 404);
  CHECK(api.call("GET", "/v2/users/me/meetings").json()["total_records"] == Value(0));

  const Value counters = api.client.request("GET", "/_emulator/counters").json();
  CHECK(counters["meetings_created"] == Value(1));
  CHECK(counters["meetings_deleted"] == Value(1));
  CHECK(counters["requests_per_route"]["DELETE /v2/meetings/{meetingId}"] == Value(2));
}

TEST_CASE("local start_time is read in the meeting's time zone; answers are UTC Z") {
  ApiFixture api;
  const Value berlin = api.create(
      R"({"topic":"t","type":2,"start_time":"2031-07-01T09:00:00","timezone":"Europe/Berlin"})");
  CHECK(berlin["start_time"] == Value("2031-07-01T07:00:00Z")); // CEST is UTC+2
  CHECK(berlin["timezone"] == Value("Europe/Berlin"));
  const Value utc = api.create(
      R"({"topic":"t","type":2,"start_time":"2031-07-01T09:00:00Z","timezone":"Europe/Berlin"})");
  CHECK(utc["start_time"] == Value("2031-07-01T09:00:00Z"));
  // Without a timezone the user's zone applies (America/Los_Angeles, PDT = UTC-7).
  const Value local = api.create(R"({"topic":"t","type":2,"start_time":"2031-07-01T09:00:00"})");
  CHECK(local["start_time"] == Value("2031-07-01T16:00:00Z"));

  const std::string path = api.meeting_path(berlin);
  REQUIRE(api.call("PATCH", path, R"({"start_time":"2031-12-01T09:00:00"})").status == 204);
  CHECK(api.call("GET", path).json()["start_time"] == Value("2031-12-01T08:00:00Z")); // CET
}

TEST_CASE("validation failures are 400 code 300 with the offending fields") {
  ApiFixture api;
  const auto fields_of = [&](const std::string& body) {
    const HttpResult answer = api.call("POST", "/v2/users/me/meetings", body);
    CHECK(answer.status == 400);
    CHECK(answer.json()["code"] == Value(300));
    CHECK(answer.json()["message"] == Value("Validation Failed."));
    return error_fields(answer);
  };
  CHECK(fields_of(R"({"topic":")" + std::string(201, 'x') + R"("})") ==
        std::set<std::string>{"topic"});
  CHECK(fields_of(R"({"type":7})") == std::set<std::string>{"type"});
  CHECK(fields_of(R"({"type":"2"})") == std::set<std::string>{"type"});
  CHECK(fields_of(R"({"password":"12345678901"})") == std::set<std::string>{"password"});
  CHECK(fields_of(R"({"password":"bad pass"})") == std::set<std::string>{"password"});
  CHECK(fields_of(R"({"duration":0})") == std::set<std::string>{"duration"});
  CHECK(fields_of(R"({"duration":1441})") == std::set<std::string>{"duration"});
  CHECK(fields_of(R"({"agenda":")" + std::string(2001, 'a') + R"("})") ==
        std::set<std::string>{"agenda"});
  CHECK(fields_of(R"({"start_time":"2031-07-01 09:00"})") == std::set<std::string>{"start_time"});
  CHECK(fields_of(R"({"start_time":"2031-02-30T09:00:00Z"})") ==
        std::set<std::string>{"start_time"});
  CHECK(fields_of(R"({"timezone":"Mars/Olympus"})") == std::set<std::string>{"timezone"});
  CHECK(fields_of(R"({"settings":{"audio":"pigeon","jbh_time":3}})") ==
        std::set<std::string>{"settings.audio", "settings.jbh_time"});
  CHECK(fields_of(R"({"type":8,"start_time":"2031-07-01T09:00:00Z","recurrence":)"
                  R"({"type":1,"end_times":3,"end_date_time":"2031-08-01T00:00:00Z"}})") ==
        std::set<std::string>{"recurrence.end_date_time"});
  CHECK(fields_of(R"({"type":8,"recurrence":{"type":2,"repeat_interval":51}})") ==
        std::set<std::string>{"recurrence.repeat_interval"});
  CHECK(fields_of(R"({"type":8,"recurrence":{"repeat_interval":1}})") ==
        std::set<std::string>{"recurrence.type"});
  CHECK(fields_of(R"({"type":8,"recurrence":{"type":2,"weekly_days":"2,8"}})") ==
        std::set<std::string>{"recurrence.weekly_days"});
  // Lengths count characters: 201 two-byte characters are too many, 200 are fine.
  std::string e_acute_201;
  for (int i = 0; i < 201; ++i)
    e_acute_201 += "\u00e9";
  CHECK(fields_of(R"({"topic":")" + e_acute_201 + R"("})") == std::set<std::string>{"topic"});
  const std::string e_acute_200 = e_acute_201.substr(2); // one two-byte character less
  CHECK(api.call("POST", "/v2/users/me/meetings", R"({"topic":")" + e_acute_200 + R"("})").status ==
        201);
  CHECK(api.call("POST", "/v2/users/me/meetings",
                 R"({"topic":"Tue and Thu","type":8,"start_time":"2031-07-01T09:00:00Z",)"
                 R"("recurrence":{"type":2,"weekly_days":"3,5","end_times":4}})")
            .status == 201);

  for (const std::string bad : {"not json", "[1,2]", ""}) {
    const HttpResult answer = api.call("POST", "/v2/users/me/meetings", bad);
    CHECK(answer.status == 400);
    CHECK(answer.json() ==
          Value::parse_json(R"({"code":300,)"
                            R"("message":"Request Body should be a valid JSON object."})"));
  }
  const Value created = api.create(R"({"topic":"ok"})");
  const HttpResult patch = api.call("PATCH", api.meeting_path(created), R"({"topic":7})");
  CHECK(patch.status == 400);
  CHECK(error_fields(patch) == std::set<std::string>{"topic"});
  CHECK(api.call("GET", "/v2/users/me/meetings").json()["total_records"] == Value(3));
  CHECK(api.client.request("GET", "/_emulator/counters").json()["meetings_created"] == Value(3));
}

TEST_CASE("recurring meetings with a fixed time list their occurrences") {
  ApiFixture api;
  const Value meeting =
      api.create(R"({"topic":"Daily","type":8,"start_time":"2031-01-05T10:00:00Z","duration":15,)"
                 R"("recurrence":{"type":1,"repeat_interval":2,"end_times":3}})");
  const Value& occurrences = meeting["occurrences"];
  REQUIRE(occurrences.size() == 3);
  CHECK(occurrences[1]["start_time"] == Value("2031-01-07T10:00:00Z"));
  CHECK(meeting["recurrence"]["end_times"] == Value(3));
}

TEST_CASE("occurrence_id: get, update and delete one occurrence of a recurring meeting") {
  ApiFixture api;
  const Value meeting =
      api.create(R"({"topic":"Daily","type":8,"start_time":"2031-01-05T10:00:00Z","duration":15,)"
                 R"("agenda":"Series","recurrence":{"type":1,"repeat_interval":2,"end_times":3}})");
  const std::string path = api.meeting_path(meeting);
  REQUIRE(meeting["occurrences"].size() == 3);
  const std::string second(meeting["occurrences"][1]["occurrence_id"].as_string());
  const std::string third(meeting["occurrences"][2]["occurrence_id"].as_string());
  CHECK(second == "1925546400000"); // 2031-01-07T10:00:00Z in epoch milliseconds
  const Value invalid = Value::parse_json(R"({"code":3000,"message":"Invalid occurrence_id."})");

  SUBCASE("GET shows the meeting as of the occurrence") {
    const HttpResult one = api.call("GET", path + "?occurrence_id=" + second);
    REQUIRE(one.status == 200);
    CHECK(one.json()["start_time"] == Value("2031-01-07T10:00:00Z"));
    CHECK(one.json()["duration"] == Value(15));
    CHECK(one.json()["topic"] == Value("Daily"));
  }
  SUBCASE("PATCH changes only that occurrence, and only what Zoom allows") {
    const HttpResult patch =
        api.call("PATCH", path + "?occurrence_id=" + second,
                 R"({"start_time":"2031-01-07T12:30:00Z","duration":30,"agenda":"Moved",)"
                 R"("topic":"Ignored","settings":{"mute_upon_entry":true,"audio":"voip"}})");
    CHECK(patch.status == 204);
    CHECK(patch.body.empty());
    const Value one = api.call("GET", path + "?occurrence_id=" + second).json();
    CHECK(one["start_time"] == Value("2031-01-07T12:30:00Z"));
    CHECK(one["duration"] == Value(30));
    CHECK(one["agenda"] == Value("Moved"));
    CHECK(one["topic"] == Value("Daily"));
    CHECK(one["settings"]["mute_upon_entry"] == Value(true));
    CHECK(one["settings"]["audio"] == Value("both")); // not an occurrence setting
    const Value series = api.call("GET", path).json();
    CHECK(series["start_time"] == Value("2031-01-05T10:00:00Z"));
    CHECK(series["duration"] == Value(15));
    CHECK(series["agenda"] == Value("Series"));
    CHECK(series["settings"]["mute_upon_entry"] == Value(false));
    REQUIRE(series["occurrences"].size() == 3);
    CHECK(series["occurrences"][1]["occurrence_id"] == Value(second)); // the id stays
    CHECK(series["occurrences"][1]["start_time"] == Value("2031-01-07T12:30:00Z"));
    CHECK(series["occurrences"][1]["duration"] == Value(30));
    CHECK(series["occurrences"][0]["duration"] == Value(15));

    // A new schedule for the series forgets the changes of occurrences it no longer has.
    CHECK(api.call("PATCH", path, R"({"start_time":"2031-02-01T10:00:00Z"})").status == 204);
    const Value moved = api.call("GET", path).json();
    REQUIRE(moved["occurrences"].size() == 3);
    CHECK(moved["occurrences"][1]["start_time"] == Value("2031-02-03T10:00:00Z"));
    CHECK(moved["occurrences"][1]["duration"] == Value(15));
    CHECK(api.call("GET", path + "?occurrence_id=" + second).json() == invalid);
  }
  SUBCASE("DELETE marks the occurrence deleted; the series stays") {
    const HttpResult deleted = api.call("DELETE", path + "?occurrence_id=" + third);
    CHECK(deleted.status == 204);
    CHECK(deleted.body.empty());
    const HttpResult series = api.call("GET", path);
    REQUIRE(series.status == 200);
    const Value occurrences = series.json()["occurrences"];
    REQUIRE(occurrences.size() == 3);
    CHECK(occurrences[0]["status"] == Value("available"));
    CHECK(occurrences[2]["status"] == Value("deleted"));
    CHECK(api.call("GET", "/v2/users/me/meetings").json()["total_records"] == Value(1));
    const Value counters = api.client.request("GET", "/_emulator/counters").json();
    CHECK(counters["occurrences_deleted"] == Value(1));
    CHECK(counters["meetings_deleted"] == Value(0));

    // The deleted occurrence is gone for every occurrence operation: 400 code 3000.
    const HttpResult again = api.call("DELETE", path + "?occurrence_id=" + third);
    CHECK(again.status == 400);
    CHECK(again.json() == invalid);
    CHECK(api.call("GET", path + "?occurrence_id=" + third).json() == invalid);
    CHECK(api.call("PATCH", path + "?occurrence_id=" + third, R"({"duration":5})").json() ==
          invalid);

    // Without occurrence_id the whole series goes.
    CHECK(api.call("DELETE", path).status == 204);
    CHECK(api.call("GET", path).status == 404);
  }
  SUBCASE("unknown occurrences and meetings without occurrences: 400 code 3000") {
    for (const std::string method : {"GET", "PATCH", "DELETE"}) {
      const HttpResult answer = api.call(method, path + "?occurrence_id=1925546400001",
                                         method == "PATCH" ? R"({"duration":5})" : "");
      CHECK(answer.status == 400);
      CHECK(answer.json() == invalid);
    }
    const Value single = api.create(R"({"topic":"Once","start_time":"2031-01-05T10:00:00Z"})");
    const HttpResult answer =
        api.call("DELETE", api.meeting_path(single) + "?occurrence_id=1925373600000");
    CHECK(answer.status == 400);
    CHECK(answer.json() == invalid);
    CHECK(api.call("GET", api.meeting_path(single)).status == 200);
  }
}

TEST_CASE("show_previous_occurrences adds the occurrences that have ended") {
  ApiFixture api;
  const Value meeting =
      api.create(R"({"topic":"Daily","type":8,"start_time":"2031-01-05T10:00:00Z","duration":15,)"
                 R"("recurrence":{"type":1,"end_times":3}})");
  const std::string path = api.meeting_path(meeting);
  // Create moves a past start to now; an update takes it as given, so the series ended.
  REQUIRE(api.call("PATCH", path, R"({"start_time":"2021-01-05T10:00:00Z"})").status == 204);
  CHECK(api.call("GET", path).json()["occurrences"].size() == 0);
  const Value all = api.call("GET", path + "?show_previous_occurrences=true").json();
  REQUIRE(all["occurrences"].size() == 3);
  CHECK(all["occurrences"][2]["start_time"] == Value("2021-01-07T10:00:00Z"));
  CHECK(api.call("GET", path + "?show_previous_occurrences=false").json()["occurrences"].size() ==
        0);
}

TEST_CASE("unknown users and meetings: 404 with codes 1001 and 3001") {
  ApiFixture api;
  const HttpResult user = api.call("GET", "/v2/users/nobody@example.com");
  CHECK(user.status == 404);
  CHECK(user.json()["code"] == Value(1001));
  CHECK(api.call("POST", "/v2/users/nobody/meetings", "{}").json()["code"] == Value(1001));
  const HttpResult meeting = api.call("GET", "/v2/meetings/12345678901");
  CHECK(meeting.status == 404);
  CHECK(meeting.json() ==
        Value::parse_json(R"({"code":3001,"message":"Meeting does not exist: 12345678901."})"));
}

TEST_CASE("GET /users/{userId} answers for me, the user id and the e-mail") {
  ApiFixture api;
  const HttpResult me = api.call("GET", "/v2/users/me");
  REQUIRE(me.status == 200);
  const Value user = me.json();
  CHECK(user["email"] == Value("emulator.user@example.com"));
  CHECK(user["timezone"] == Value("America/Los_Angeles"));
  CHECK(user["account_id"] == Value("emulator-account"));
  // The same user, field by field, but for the one that is the clock's time at each answer
  // (two answers a second boundary apart differ there).
  const auto without_login_time = [](const Value& answer) {
    Object fields;
    for (const auto& [name, field] : answer.as_object())
      if (name != "last_login_time")
        fields.emplace_back(name, field);
    return Value(std::move(fields));
  };
  const Value by_id = api.call("GET", "/v2/users/" + std::string(user["id"].as_string())).json();
  CHECK(by_id["last_login_time"].is_string());
  CHECK(without_login_time(by_id) == without_login_time(user));
  CHECK(api.call("GET", "/v2/users/EMULATOR.USER@example.com").json()["id"] == user["id"]);
}

TEST_CASE("list pages with next_page_token and legacy page_number") {
  ApiFixture api;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 7; ++i) {
    const std::string start = "2031-05-0" + std::to_string(i + 1) + "T10:00:00Z";
    ids.push_back(api.create(R"({"topic":"m)" + std::to_string(i) + R"(","type":2,"start_time":")" +
                             start + R"("})")["id"]
                      .as_int());
  }
  api.create(R"({"topic":"instant","type":1})"); // never listed

  std::vector<std::int64_t> seen;
  std::string token;
  int pages = 0;
  do {
    std::string target = "/v2/users/me/meetings?page_size=3";
    if (!token.empty())
      target += "&next_page_token=" + token;
    const HttpResult answer = api.call("GET", target);
    REQUIRE(answer.status == 200);
    const Value page = answer.json();
    CHECK(page["total_records"] == Value(7));
    CHECK(page["page_size"] == Value(3));
    for (const Value& meeting : page["meetings"].as_array())
      seen.push_back(meeting["id"].as_int());
    token = std::string(page["next_page_token"].as_string());
    ++pages;
  } while (!token.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen == ids); // in start-time order, no duplicates, no instant meeting

  const Value second = api.call("GET", "/v2/users/me/meetings?page_size=3&page_number=2").json();
  REQUIRE(second["meetings"].size() == 3);
  CHECK(second["meetings"][0]["id"] == Value(ids[3]));
  CHECK(second["page_count"] == Value(3));
  CHECK(second["page_number"] == Value(2));

  const HttpResult bogus = api.call("GET", "/v2/users/me/meetings?next_page_token=forged");
  CHECK(bogus.status == 400);
  CHECK(bogus.json()["code"] == Value(300));
  CHECK(api.call("GET", "/v2/users/me/meetings?page_size=301").status == 400);
  CHECK(api.call("GET", "/v2/users/me/meetings?page_size=0").status == 400);
  CHECK(api.call("GET", "/v2/users/me/meetings?type=everything").status == 400);
  CHECK(api.call("GET", "/v2/users/me/meetings?type=live").json()["total_records"] == Value(0));
  CHECK(api.call("GET", "/v2/users/me/meetings?type=upcoming").json()["total_records"] == Value(7));

  SUBCASE("from/to select by start date (UTC unless timezone is given)") {
    const Value window =
        api.call("GET", "/v2/users/me/meetings?from=2031-05-03&to=2031-05-04").json();
    REQUIRE(window["meetings"].size() == 2);
    CHECK(window["meetings"][0]["id"] == Value(ids[2]));
    CHECK(window["total_records"] == Value(2));
    // Kiritimati is UTC+14: 10:00Z on May 3rd is midnight starting May 4th there.
    const Value shifted = api.call("GET", "/v2/users/me/meetings?from=2031-05-04&to=2031-05-04"
                                          "&timezone=Pacific/Kiritimati")
                              .json();
    REQUIRE(shifted["meetings"].size() == 1);
    CHECK(shifted["meetings"][0]["id"] == Value(ids[2]));
    const HttpResult bad = api.call("GET", "/v2/users/me/meetings?from=May-3");
    CHECK(bad.status == 400);
    CHECK(error_fields(bad) == std::set<std::string>{"from"});
  }
  SUBCASE("a token can be retried and yields the same page") {
    const Value first = api.call("GET", "/v2/users/me/meetings?page_size=3").json();
    const std::string token_text(first["next_page_token"].as_string());
    const std::string target = "/v2/users/me/meetings?page_size=3&next_page_token=" + token_text;
    const Value once = api.call("GET", target).json();
    const Value twice = api.call("GET", target).json();
    CHECK(once["meetings"] == twice["meetings"]);
    CHECK(once["meetings"][0]["id"] == Value(ids[3]));
  }
  SUBCASE("a token answers only the query it was made for") {
    const Value first = api.call("GET", "/v2/users/me/meetings?page_size=3").json();
    const std::string token_text(first["next_page_token"].as_string());
    CHECK(api.call("GET",
                   "/v2/users/me/meetings?type=upcoming&page_size=3&next_page_token=" + token_text)
              .status == 400);
  }
}

TEST_CASE("requests the emulator accepts and answers it gives validate against Zoom's spec") {
  const Value spec = load_operations_spec();
  ApiFixture api;
  const std::vector<std::string> corpus = {
      R"({"topic":"Plain"})",
      R"({"topic":"Scheduled","type":2,"start_time":"2031-04-01T10:00:00Z","duration":30,)"
      R"("timezone":"UTC","agenda":"a","password":"pw-1*","default_password":false,)"
      R"("settings":{"host_video":true,"audio":"voip","auto_recording":"cloud",)"
      R"("approval_type":0,"jbh_time":5,"join_before_host":true}})",
      R"({"topic":"Local","type":2,"start_time":"2031-04-01T10:00:00","timezone":"Asia/Tokyo"})",
      R"({"topic":"Instant","type":1})",
      R"({"topic":"No fixed time","type":3,"pre_schedule":true})",
      R"({"topic":"Weekly","type":8,"start_time":"2031-04-01T10:00:00Z","recurrence":)"
      R"({"type":2,"repeat_interval":1,"weekly_days":"3","end_times":4},)"
      R"("tracking_fields":[{"field":"team","value":"core"}]})",
      R"({"topic":"Monthly","type":8,"start_time":"2031-04-01T10:00:00Z","recurrence":)"
      R"({"type":3,"monthly_day":1,"end_date_time":"2031-09-01T00:00:00Z"}})",
      R"({"topic":"Default passcode","default_password":true})"};
  const Value& request_schema = schema_at(spec, "/users/{userId}/meetings", "post", "request");
  for (const std::string& body : corpus) {
    CAPTURE(body);
    check_schema(request_schema, Value::parse_json(body), "request");
    const Value created = api.create(body);
    check_schema(schema_at(spec, "/users/{userId}/meetings", "post", "201"), created, "create");
    const Value fetched = api.call("GET", api.meeting_path(created)).json();
    check_schema(schema_at(spec, "/meetings/{meetingId}", "get", "200"), fetched, "get");
  }
  check_schema(schema_at(spec, "/users/{userId}/meetings", "get", "200"),
               api.call("GET", "/v2/users/me/meetings?page_size=2").json(), "list");
  check_schema(schema_at(spec, "/users/{userId}", "get", "200"),
               api.call("GET", "/v2/users/me").json(), "user");
  const Value update = Value::parse_json(R"({"topic":"Changed","duration":90})");
  check_schema(schema_at(spec, "/meetings/{meetingId}", "patch", "request"), update, "update");
}
