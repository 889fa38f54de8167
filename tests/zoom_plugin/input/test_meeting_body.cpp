// The create and update meeting bodies: which fields reach the body, and each rule's problem
// and message. Every accepted body is also checked against the emulator's copy of Zoom's
// create / update meeting schema, so the two sides cannot drift apart unnoticed.

#include "input_test_support.hpp"

using namespace sluice::zoom::test;

TEST_CASE("create: the body holds exactly the fields that were set, false kept as false") {
  const Value settings = json(R"({
    "connection": "work", "user_id": "me",
    "topic": "Standup", "type": 2, "start_time": "2026-12-01T09:00:00Z", "duration": 15,
    "timezone": "Europe/Berlin", "password": "a1@-_*", "agenda": null,
    "default_password": false,
    "settings": {"waiting_room": false, "host_video": true, "audio": "voip", "jbh_time": 0,
                 "alternative_hosts": null}})");
  const Value body = sluice::zoom::create_meeting_body(settings, now);
  CHECK(body.to_json() ==
        R"({"topic":"Standup","type":2,"start_time":"2026-12-01T09:00:00Z","duration":15,)"
        R"("timezone":"Europe/Berlin","password":"a1@-_*","default_password":false,)"
        R"("settings":{"waiting_room":false,"host_video":true,"audio":"voip","jbh_time":0}})");
  check_against_zoom_schema(body);
}

TEST_CASE("create: accepted settings produce these bodies, each valid for Zoom's schema") {
  const std::vector<Accepted> cases = {
      {R"({})", R"({})"},
      {R"({"topic": "Only a topic"})", R"({"topic": "Only a topic"})"},
      {R"({"type": 1, "topic": "Now"})", R"({"type": 1, "topic": "Now"})"},
      {R"({"type": 3, "pre_schedule": true})", R"({"type": 3, "pre_schedule": true})"},
      {R"({"type": 10})", R"({"type": 10})"},
      // Zoom schedules a scheduled meeting without start_time at the current time (§2).
      {R"({"type": 2, "duration": 1440})", R"({"type": 2, "duration": 1440})"},
      {R"({"duration": 1})", R"({"duration": 1})"},
      {R"({"start_time": "2026-11-28T15:36:00Z"})", R"({"start_time": "2026-11-28T15:36:00Z"})"},
      {R"({"start_time": "2028-02-29T00:00:00Z"})", R"({"start_time": "2028-02-29T00:00:00Z"})"},
      {R"({"start_time": "2026-12-01T09:00:00", "timezone": "America/Los_Angeles"})",
       R"({"start_time": "2026-12-01T09:00:00", "timezone": "America/Los_Angeles"})"},
      {R"({"timezone": "UTC"})", R"({"timezone": "UTC"})"},
      {R"({"timezone": "GMT"})", R"({"timezone": "GMT"})"},
      {R"({"timezone": "Etc/GMT+5"})", R"({"timezone": "Etc/GMT+5"})"},
      {R"({"password": "0123456789"})", R"({"password": "0123456789"})"},
      {R"({"password": "ab!#"})", R"({"password": "ab!#"})"},
      {R"({"default_password": true})", R"({"default_password": true})"},
      {R"({"schedule_for": "ada@example.com"})", R"({"schedule_for": "ada@example.com"})"},
      {R"({"schedule_for": "KDcuGIm1QgePTO8WbOqwIQ"})",
       R"({"schedule_for": "KDcuGIm1QgePTO8WbOqwIQ"})"},
      {R"({"template_id": "Tn0a"})", R"({"template_id": "Tn0a"})"},
      {R"({"tracking_fields": [{"field": "team", "value": "core"}, {"field": "x"}]})",
       R"({"tracking_fields": [{"field": "team", "value": "core"}, {"field": "x"}]})"},
      {R"({"type": 8, "start_time": "2026-12-01T09:00:00Z",
           "recurrence": {"type": 2, "weekly_days": "2", "repeat_interval": 50, "end_times": 60}})",
       R"({"type": 8, "start_time": "2026-12-01T09:00:00Z",
           "recurrence": {"type": 2, "weekly_days": "2", "repeat_interval": 50, "end_times": 60}})"},
      {R"({"type": 8, "recurrence": {"type": 1, "repeat_interval": 99,
                                     "end_date_time": "2027-06-30T00:00:00Z"}})",
       R"({"type": 8, "recurrence": {"type": 1, "repeat_interval": 99,
                                     "end_date_time": "2027-06-30T00:00:00Z"}})"},
      {R"({"type": 8, "recurrence": {"type": 3, "monthly_day": 31, "repeat_interval": 10}})",
       R"({"type": 8, "recurrence": {"type": 3, "monthly_day": 31, "repeat_interval": 10}})"},
      {R"({"type": 8, "recurrence": {"type": 3, "monthly_week": -1, "monthly_week_day": 6}})",
       R"({"type": 8, "recurrence": {"type": 3, "monthly_week": -1, "monthly_week_day": 6}})"},
      {R"({"settings": {"approval_type": 0, "registration_type": 3, "calendar_type": 2,
                        "auto_recording": "cloud", "encryption_type": "e2ee",
                        "contact_email": "host@example.com",
                        "global_dial_in_countries": ["US", "DE"],
                        "additional_data_center_regions": ["EU"],
                        "breakout_room": {"enable": false,
                                          "rooms": [{"name": "A", "participants": ["a@x.io"]}]},
                        "language_interpretation": {"enable": true, "interpreters": [
                            {"email": "i@x.io", "languages": "US,FR"}]},
                        "approved_or_denied_countries_or_regions": {"enable": true,
                            "method": "deny", "denied_list": ["XX"]},
                        "meeting_invitees": [{"email": "guest@x.io"}],
                        "authentication_exception": [{"email": "e@x.io", "name": "E"}],
                        "audio_conference_info": "dial 123"}})",
       R"({"settings": {"approval_type": 0, "registration_type": 3, "calendar_type": 2,
                        "auto_recording": "cloud", "encryption_type": "e2ee",
                        "contact_email": "host@example.com",
                        "global_dial_in_countries": ["US", "DE"],
                        "additional_data_center_regions": ["EU"],
                        "breakout_room": {"enable": false,
                                          "rooms": [{"name": "A", "participants": ["a@x.io"]}]},
                        "language_interpretation": {"enable": true, "interpreters": [
                            {"email": "i@x.io", "languages": "US,FR"}]},
                        "approved_or_denied_countries_or_regions": {"enable": true,
                            "method": "deny", "denied_list": ["XX"]},
                        "meeting_invitees": [{"email": "guest@x.io"}],
                        "authentication_exception": [{"email": "e@x.io", "name": "E"}],
                        "audio_conference_info": "dial 123"}})"},
  };
  for (const Accepted& c : cases) {
    CAPTURE(c.settings);
    const Value body = sluice::zoom::create_meeting_body(json(c.settings), now);
    CHECK(body == json(c.body));
    check_against_zoom_schema(body);
  }
}

TEST_CASE("weekly recurrence on several days, as Zoom's description of weekly_days allows") {
  // The spec's enum for weekly_days lists single days only, and so does the emulator's
  // schema; the field's description asks for "1,3" for several days. Not schema-checked.
  const Value body = sluice::zoom::create_meeting_body(
      json(R"({"type": 8, "recurrence": {"type": 2, "weekly_days": "7,1,4"}})"), now);
  CHECK(body == json(R"({"type": 8, "recurrence": {"type": 2, "weekly_days": "7,1,4"}})"));
}

TEST_CASE("create: every boolean meeting setting is sent as given, true or false") {
  for (const char* key : {"host_video",
                          "participant_video",
                          "cn_meeting",
                          "in_meeting",
                          "join_before_host",
                          "mute_upon_entry",
                          "watermark",
                          "use_pmi",
                          "alternative_hosts_email_notification",
                          "alternative_host_update_polls",
                          "close_registration",
                          "waiting_room",
                          "registrants_confirmation_email",
                          "registrants_email_notification",
                          "meeting_authentication",
                          "show_share_button",
                          "allow_multiple_devices",
                          "email_notification",
                          "private_meeting",
                          "focus_mode",
                          "host_save_video_order"}) {
    for (const bool flag : {false, true}) {
      CAPTURE(key);
      const Value settings = sluice::Object{{"settings", sluice::Object{{key, flag}}}};
      const Value body = sluice::zoom::create_meeting_body(settings, now);
      REQUIRE(body.find("settings"));
      CHECK(body["settings"][key] == Value(flag));
      CHECK(body["settings"][key].is_bool());
      check_against_zoom_schema(body);
    }
  }
}

TEST_CASE("create: each rule rejects what it should, with a specific message") {
  const std::vector<Rejected> cases = {
      {R"({"topic": 5})", "topic", "must be text, got an integer 5"},
      {R"({"type": 4})", "type", "4 is not allowed; use one of 1, 2, 3, 8, 10"},
      {R"({"type": "2"})", "type", "must be a whole number, got text \"2\""},
      {R"({"type": 2.5})", "type", "must be a whole number"},
      {R"({"duration": 0})", "duration", "0 is out of range; use 1 to 1440 minutes"},
      {R"({"duration": 1441})", "duration", "1441 is out of range"},
      {R"({"agenda": true})", "agenda", "must be text, got a boolean true"},
      {R"({"default_password": "yes"})", "default_password", "must be true or false"},
      {R"({"password": "01234567890"})", "password",
       "is 11 characters long; Zoom allows at most 10"},
      {R"({"password": "abc def"})", "password", "only letters, digits and @ - _ * ! #"},
      {R"({"password": "pa$$"})", "password", "only letters, digits"},
      {R"({"password": ""})", "password", "is empty"},
      {R"({"start_time": "2026-12-01 09:00:00"})", "start_time",
       "is not a date and time Zoom accepts; use yyyy-MM-ddTHH:mm:ssZ"},
      {R"({"start_time": "2026-12-01T09:00:00+01:00"})", "start_time",
       "fractional seconds or a UTC offset"},
      {R"({"start_time": "2026-12-01T09:00:00.000Z"})", "start_time", "UTC offset"},
      {R"({"start_time": "2026-12-01"})", "start_time", "is not a date and time"},
      {R"({"start_time": "2027-02-29T10:00:00Z"})", "start_time",
       "2027-02-29T10:00:00Z is not a real date and time: February 2027 has 28 days"},
      {R"({"start_time": "2026-13-01T10:00:00Z"})", "start_time", "there is no month 13"},
      {R"({"start_time": "2026-12-01T24:00:00Z"})", "start_time", "hours go up to 23"},
      {R"({"start_time": "2020-01-01T10:00:00Z"})", "start_time",
       "2020-01-01T10:00:00Z is in the past (now 2026-11-28T15:40:00Z); scheduled meetings need "
       "a future start time"},
      {R"({"type": 8, "start_time": "2026-11-28T15:34:00Z"})", "start_time", "is in the past"},
      {R"({"type": 1, "start_time": "2026-12-01T09:00:00Z"})", "start_time",
       "only used by scheduled (type 2) and recurring fixed-time (type 8) meetings; this "
       "meeting's type is 1 (instant)"},
      {R"({"type": 3, "start_time": "2026-12-01T09:00:00Z"})", "start_time",
       "type is 3 (recurring, no fixed time)"},
      {R"({"timezone": "Europe/Berln"})", "timezone",
       "\"Europe/Berln\" is not a known time zone; did you mean 'Europe/Berlin'?"},
      {R"({"timezone": "europe/berlin"})", "timezone", "did you mean 'Europe/Berlin'?"},
      {R"({"timezone": "Berlin"})", "timezone", "did you mean 'Europe/Berlin'?"},
      {R"({"timezone": "../../../etc/passwd"})", "timezone", "is not a known time zone"},
      {R"({"timezone": "/usr/share/zoneinfo/UTC"})", "timezone", "is not a known time zone"},
      {R"({"timezone": "posix/Europe/Berlin"})", "timezone", "is not a known time zone"},
      {R"({"timezone": "zoneinfo.tab"})", "timezone", "is not a known time zone"},
      {R"({"timezone": ""})", "timezone", "is not a known time zone"},
      {R"({"timezone": "Europe"})", "timezone", "is not a known time zone"},
      {R"({"schedule_for": "not an email"})", "schedule_for", "is not a Zoom user"},
      {R"({"type": 1, "schedule_for": "ada@example.com"})", "schedule_for",
       "cannot be used with instant meetings (type 1)"},
      {R"({"type": 8, "pre_schedule": true})", "pre_schedule",
       "only allowed for scheduled (type 2) and recurring no-fixed-time (type 3) meetings"},
      {R"({"tracking_fields": [{"value": "v"}]})", "tracking_fields[0].field", "is required"},
      {R"({"tracking_fields": {"field": "f"}})", "tracking_fields", "must be a list"},
      // recurrence
      {R"({"type": 2, "recurrence": {"type": 1}})", "recurrence",
       "only used by recurring fixed-time meetings (type 8); this meeting's type is 2"},
      {R"({"recurrence": {"type": 1}})", "recurrence", "this meeting's type is 2 (scheduled)"},
      {R"({"type": 8, "recurrence": {"repeat_interval": 2}})", "recurrence.type", "is required"},
      {R"({"type": 8, "recurrence": {"type": 4}})", "recurrence.type",
       "4 is not allowed; use one of 1, 2, 3"},
      {R"({"type": 8, "recurrence": {"type": 1, "repeat_interval": 100}})",
       "recurrence.repeat_interval",
       "100 is too large for daily recurrence; Zoom allows every 1 to 99 days"},
      {R"({"type": 8, "recurrence": {"type": 2, "weekly_days": "1", "repeat_interval": 51}})",
       "recurrence.repeat_interval", "every 1 to 50 weeks"},
      {R"({"type": 8, "recurrence": {"type": 3, "repeat_interval": 11}})",
       "recurrence.repeat_interval", "every 1 to 10 months"},
      {R"({"type": 8, "recurrence": {"type": 1, "repeat_interval": 0}})",
       "recurrence.repeat_interval", "0 is out of range; use at least 1"},
      {R"({"type": 8, "recurrence": {"type": 2}})", "recurrence.weekly_days",
       "is required for weekly recurrence"},
      {R"({"type": 8, "recurrence": {"type": 2, "weekly_days": "1, 3"}})", "recurrence.weekly_days",
       "is not a list of week days"},
      {R"({"type": 8, "recurrence": {"type": 2, "weekly_days": "8"}})", "recurrence.weekly_days",
       "digits 1 (Sunday) to 7 (Saturday)"},
      {R"({"type": 8, "recurrence": {"type": 2, "weekly_days": "2,2"}})", "recurrence.weekly_days",
       "names day 2 twice"},
      {R"({"type": 8, "recurrence": {"type": 2, "weekly_days": 2}})", "recurrence.weekly_days",
       "must be text"},
      {R"({"type": 8, "recurrence": {"type": 1, "weekly_days": "2"}})", "recurrence.weekly_days",
       "only used by weekly recurrence (type 2); this recurrence's type is 1 (daily)"},
      {R"({"type": 8, "recurrence": {"type": 3, "monthly_day": 32}})", "recurrence.monthly_day",
       "32 is out of range; use 1 to 31"},
      {R"({"type": 8, "recurrence": {"type": 1, "monthly_day": 3}})", "recurrence.monthly_day",
       "only used by monthly recurrence (type 3)"},
      {R"({"type": 8, "recurrence": {"type": 3, "monthly_week": 5, "monthly_week_day": 1}})",
       "recurrence.monthly_week", "5 is not allowed; use one of -1, 1, 2, 3, 4"},
      {R"({"type": 8, "recurrence": {"type": 3, "monthly_week": 1}})",
       "recurrence.monthly_week_day", "is required with monthly_week"},
      {R"({"type": 8, "recurrence": {"type": 3, "monthly_week_day": 1}})",
       "recurrence.monthly_week", "is required with monthly_week_day"},
      {R"({"type": 8, "recurrence": {"type": 3, "monthly_day": 1, "monthly_week": 1,
                                     "monthly_week_day": 1}})",
       "recurrence.monthly_day", "cannot be combined with monthly_week"},
      {R"({"type": 8, "recurrence": {"type": 1, "end_times": 61}})", "recurrence.end_times",
       "61 is out of range; use 1 to 60"},
      {R"({"type": 8, "recurrence": {"type": 1, "end_times": 3,
                                     "end_date_time": "2027-01-01T00:00:00Z"}})",
       "recurrence.end_times", "cannot be combined with end_date_time"},
      {R"({"type": 8, "recurrence": {"type": 1, "end_date_time": "2027-01-01T00:00:00"}})",
       "recurrence.end_date_time", "has no Z; this time must be in UTC"},
      {R"({"type": 8, "recurrence": {"type": 1, "end_date_time": "2026-01-01T00:00:00Z"}})",
       "recurrence.end_date_time", "is in the past"},
      {R"({"type": 8, "recurrence": {"type": 1, "every": 2}})", "recurrence.every",
       "unknown recurrence field; allowed: type, repeat_interval"},
      {R"({"type": 8, "recurrence": {"type": 1, "end_time": 2}})", "recurrence.end_time",
       "did you mean 'end_times'?"},
      {R"({"type": 8, "recurrence": {"type": 1, "topic": "x"}})", "recurrence.topic",
       "'topic' is a meeting field: put it at the top level"},
      // settings{}
      {R"({"settings": {"host_vidoe": true}})", "settings.host_vidoe",
       "unknown meeting setting; did you mean 'host_video'?"},
      {R"({"settings": {"colour": "red"}})", "settings.colour",
       "unknown meeting setting; allowed: host_video, participant_video"},
      {R"({"settings": {"duration": 30}})", "settings.duration",
       "'duration' is a meeting field: put it at the top level"},
      {R"({"settings": {"host_video": "true"}})", "settings.host_video",
       "must be true or false, got text \"true\""},
      {R"({"settings": {"jbh_time": 15}})", "settings.jbh_time",
       "15 is not allowed; use one of 0, 5, 10"},
      {R"({"settings": {"audio": "phone"}})", "settings.audio",
       "\"phone\" is not allowed; use one of both, telephony, voip, thirdParty"},
      {R"({"settings": {"auto_recording": "Cloud"}})", "settings.auto_recording",
       "use one of local, cloud, none"},
      {R"({"settings": {"approval_type": 3}})", "settings.approval_type", "use one of 0, 1, 2"},
      {R"({"settings": {"contact_email": "nobody"}})", "settings.contact_email",
       "is not an e-mail address"},
      {R"({"settings": {"global_dial_in_countries": "US"}})", "settings.global_dial_in_countries",
       "must be a list, got text"},
      {R"({"settings": {"global_dial_in_countries": ["US", 1]}})",
       "settings.global_dial_in_countries[1]", "must be text"},
      {R"({"settings": {"breakout_room": {"rooms": [{"name": "A", "size": 3}]}}})",
       "settings.breakout_room.rooms[0].size", "unknown breakout room"},
      {R"({"settings": {"approved_or_denied_countries_or_regions": {"method": "block"}}})",
       "settings.approved_or_denied_countries_or_regions.method", "use one of approve, deny"},
      {R"({"settings": {"custom_keys": [{"key": "k"}]}})", "settings.custom_keys",
       "is not accepted when creating a meeting (Zoom's API has it only when updating a meeting)"},
      {R"({"settings": "waiting_room"})", "settings", "must be an object"},
      // settings written at the top level would otherwise be dropped silently
      {R"({"waiting_room": true})", "waiting_room",
       "is a meeting setting: put it inside 'settings'"},
      {R"({"type": 8, "weekly_days": "1"})", "weekly_days",
       "is a recurrence field: put it inside 'recurrence'"},
  };
  for (const Rejected& c : cases) {
    CAPTURE(c.settings);
    check_single_problem(create_problems(c.settings), c.field, c.fragment);
  }
}

TEST_CASE("lengths count characters, not bytes") {
  std::string topic;
  for (int i = 0; i < 200; ++i)
    topic += "\xC3\xA9"; // é: 2 bytes, 1 character
  const Value ok = sluice::zoom::create_meeting_body(sluice::Object{{"topic", topic}}, now);
  CHECK(ok["topic"].as_string() == topic);
  // (The emulator's schema check counts bytes; see the report of this change.)
  check_single_problem(
      problems_of([&] {
        sluice::zoom::create_meeting_body(sluice::Object{{"topic", topic + "\xC3\xA9"}}, now);
      }),
      "topic", "is 201 characters long; Zoom allows at most 200");

  std::string agenda(1999, 'a');
  agenda += "\xE2\x82\xAC"; // €: 3 bytes
  CHECK(sluice::zoom::create_meeting_body(sluice::Object{{"agenda", agenda}}, now)["agenda"]
            .as_string() == agenda);
  check_single_problem(
      problems_of([&] {
        sluice::zoom::create_meeting_body(sluice::Object{{"agenda", agenda + "x"}}, now);
      }),
      "agenda", "is 2001 characters long; Zoom allows at most 2000");
  check_single_problem(create_problems(R"({"password": "ééééééééééé"})"), "password",
                       "is 11 characters long");
}

TEST_CASE("every problem is reported at once, and what() lists them all") {
  const Value settings = json(R"({"topic": 1, "type": 2, "start_time": "2020-01-01T10:00:00Z",
      "duration": 0, "timezone": "Mars/Base", "password": "way too long!",
      "settings": {"host_vidoe": true, "audio": "x"}})");
  try {
    sluice::zoom::create_meeting_body(settings, now);
    FAIL("no InputError thrown");
  } catch (const InputError& error) {
    std::vector<std::string> fields;
    for (const InvalidInput& problem : error.problems())
      fields.push_back(problem.field);
    CHECK(fields == std::vector<std::string>{"topic", "duration", "password", "settings.host_vidoe",
                                             "settings.audio", "timezone", "start_time"});
    const std::string what = error.what();
    CHECK(what.rfind("setting 'topic': must be text, got an integer 1; setting 'duration': ", 0) ==
          0);
    CHECK(what.find("; setting 'start_time': 2020-01-01T10:00:00Z is in the past") !=
          std::string::npos);
    CHECK(what.find("setting 'timezone': \"Mars/Base\" is not a known time zone") !=
          std::string::npos);
  }
}

TEST_CASE("update: every field optional, at least one to change, same rules") {
  CHECK(sluice::zoom::update_meeting_body(json(R"({"meeting_id": 85746065432, "topic": "New"})"),
                                          now) == json(R"({"topic": "New"})"));
  const Value body =
      sluice::zoom::update_meeting_body(json(R"({"meeting_id": "85746065432", "connection": "c",
               "settings": {"mute_upon_entry": false, "custom_keys": [{"key": "k", "value": "v"}],
                            "global_dial_in_numbers": [{"country": "US", "type": "toll"}]}})"),
                                        now);
  CHECK(body.to_json() == R"({"settings":{"mute_upon_entry":false,"custom_keys":[{"key":"k",)"
                          R"("value":"v"}],"global_dial_in_numbers":[{"country":"US",)"
                          R"("type":"toll"}]}})");
  check_against_zoom_schema(body);
  // Without a type in the update, recurrence and start_time rules that need one are skipped,
  // but a start time is still checked for the past.
  const Value recurrence = sluice::zoom::update_meeting_body(
      json(R"({"recurrence": {"type": 1, "end_times": 2}})"), now);
  CHECK(recurrence == json(R"({"recurrence": {"type": 1, "end_times": 2}})"));
  check_against_zoom_schema(recurrence);
  check_single_problem(update_problems(R"({"start_time": "2020-01-01T10:00:00Z"})"), "start_time",
                       "is in the past");

  check_single_problem(update_problems(R"({"meeting_id": 1, "connection": "c"})"), "",
                       "nothing to update: set at least one of topic, type, start_time");
  check_single_problem(update_problems(R"({"meeting_id": 1, "agenda": null})"), "",
                       "nothing to update");
  check_single_problem(update_problems(R"({"default_password": true})"), "default_password",
                       "is not accepted when updating a meeting");
  check_single_problem(update_problems(R"({"settings": {"additional_data_center_regions": []}})"),
                       "settings.additional_data_center_regions",
                       "is not accepted when updating a meeting");
  check_single_problem(update_problems(R"({"type": 1, "recurrence": {"type": 1}})"), "recurrence",
                       "this meeting's type is 1 (instant)");
  check_single_problem(update_problems(R"({"settings": {"custom_keys": [{"key": "k"}, {"key": "k"},
      {"key": "k"}, {"key": "k"}, {"key": "k"}, {"key": "k"}, {"key": "k"}, {"key": "k"},
      {"key": "k"}, {"key": "k"}, {"key": "k"}]}})"),
                       "settings.custom_keys", "has 11 items; Zoom allows at most 10");
  const auto problems = update_problems(R"([1])");
  CHECK(problems.at(0).message == "the node's settings must be an object, got a list");
}
