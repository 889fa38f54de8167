// zoom.create_meeting / get_meeting / update_meeting / list_meetings / delete_meeting and
// zoom.get_user (docs/zoom-api.md §1): the node declarations and what each sends.

#include "meeting_nodes.hpp"

#include "node_support.hpp"
#include "reconcile.hpp"

#include "sluice_zoom/meeting_input.hpp"

#include <sluice/encoding.hpp>

namespace sluice::zoom {

namespace asio = boost::asio;

namespace {

using T = SettingType;

// The fields of Zoom's meeting object (docs/zoom-api.md §2). `start_url` is left out of outputs:
// it lets anyone who holds it start the meeting as the host, so it is a secret.
std::vector<OutputSpec> meeting_outputs() {
  return {
      {"id", T::integer, "Meeting number (int64)."},
      {"uuid", T::string, "Unique id of this meeting instance."},
      {"host_id", T::string, "Host's user id."},
      {"host_email", T::string, "Host's e-mail."},
      {"assistant_id", T::string, "Id of the user who scheduled it for the host."},
      {"topic", T::string, "Topic."},
      {"type", T::integer,
       "1 instant, 2 scheduled, 3 recurring without a fixed time, 8 "
       "recurring with a fixed time."},
      {"status", T::string, "waiting or started."},
      {"start_time", T::string, "Start, UTC (yyyy-MM-ddTHH:mm:ssZ)."},
      {"duration", T::integer, "Minutes."},
      {"timezone", T::string, "Time zone of the meeting."},
      {"agenda", T::string, "Agenda."},
      {"created_at", T::string, "When it was created, UTC."},
      {"join_url", T::string, "URL participants join with."},
      {"registration_url", T::string, "Registration URL, when registration is on."},
      {"password", T::string, "Passcode."},
      {"h323_password", T::string, "Passcode for H.323/SIP room systems."},
      {"pstn_password", T::string, "Passcode for phone dial-in."},
      {"encrypted_password", T::string, "Encrypted passcode (in join links)."},
      {"pmi", T::string, "Personal meeting id, when used."},
      {"pre_schedule", T::boolean, "Whether it is a pre-scheduled meeting."},
      {"recurrence", T::object, "Recurrence rules (types 3 and 8)."},
      {"settings", T::object, "Meeting settings."},
      {"tracking_fields", T::array, "Tracking fields."},
      {"occurrences", T::array, "Occurrences of a recurring meeting."},
      {"chat_join_url", T::string, "Meeting chat URL."},
  };
}

Value without_start_url(const Value& meeting) {
  if (!meeting.is_object() || !meeting.find("start_url"))
    return meeting;
  Object fields;
  for (const auto& [key, value] : meeting.as_object())
    if (key != "start_url")
      fields.emplace_back(std::string(key), value);
  return Value(std::move(fields));
}

std::vector<SettingSpec> with_common(std::vector<SettingSpec> settings) {
  std::vector<SettingSpec> all = common_settings();
  all.insert(all.end(), std::make_move_iterator(settings.begin()),
             std::make_move_iterator(settings.end()));
  return all;
}

// The create/update fields (docs/zoom-api.md §2); the input library checks them.
std::vector<SettingSpec> meeting_fields(bool create) {
  return {
      {"topic", T::string, "Topic, at most 200 characters.", false, {}},
      {"type",
       T::integer,
       "1 instant, 2 scheduled (Zoom's default), 3 recurring without a fixed time, 8 recurring "
       "with a fixed time.",
       false,
       {}},
      {"start_time",
       T::string,
       "Start: yyyy-MM-ddTHH:mm:ssZ (UTC), or yyyy-MM-ddTHH:mm:ss read in `timezone`. Types 2 "
       "and 8; must be in the future.",
       false,
       {}},
      {"duration", T::integer, "Minutes, 1 to 1440.", false, {}},
      {"timezone", T::string, "IANA time zone, e.g. Europe/Berlin.", false, {}},
      {"password", T::string, "Passcode: at most 10 of a-z A-Z 0-9 @ - _ *.", false, {}},
      {"default_password",
       T::boolean,
       "Let Zoom generate a passcode when none is given and the account requires one.",
       false,
       {}},
      {"agenda", T::string, "Agenda, at most 2000 characters.", false, {}},
      {"schedule_for", T::string, "E-mail or user id of the user to schedule it for.", false, {}},
      {"pre_schedule", T::boolean, "GSuite pre-scheduled meeting (types 2 and 3).", false, {}},
      {"template_id", T::string, "Meeting template id.", false, {}},
      {"tracking_fields", T::array, "Tracking fields: [{field, value}].", false, {}},
      {"recurrence",
       T::object,
       "Recurrence (type 8): {type 1 daily|2 weekly|3 monthly, repeat_interval, weekly_days, "
       "monthly_day, monthly_week, monthly_week_day, end_times | end_date_time}.",
       false,
       {}},
      {"settings",
       T::object,
       "Meeting settings with Zoom's names, e.g. {waiting_room: true, join_before_host: "
       "false, auto_recording: cloud}. `false` is sent as false.",
       false,
       {}},
      {"user_id", T::string,
       create ? "Whose meeting: me (the connection's user), an e-mail or a user id."
              : "Not used by update.",
       false, create ? Value("me") : Value()},
  };
}

std::string meeting_path(const std::string& id, const std::optional<std::string>& occurrence,
                         std::string extra_query = {}) {
  std::string query;
  if (occurrence)
    query = "occurrence_id=" + percent_encode(*occurrence);
  if (!extra_query.empty())
    query += (query.empty() ? "" : "&") + extra_query;
  return "/meetings/" + id + (query.empty() ? "" : "?" + query);
}

asio::awaitable<Value> get_meeting(ZoomApi& api, const std::string& id,
                                   const std::optional<std::string>& occurrence,
                                   const std::string& extra_query = {}) {
  const ApiRequest request = api_request("GET", meeting_path(id, occurrence, extra_query),
                                         "get meeting " + id, "meeting:read:meeting");
  const ApiAnswer answer = co_await api.call_ok(request);
  co_return answer.body;
}

// ---------------------------------------------------------------------------------------

NodeType create_meeting_type() {
  NodeType t;
  t.spec.type = "zoom.create_meeting";
  t.spec.description =
      "Creates a Zoom meeting (POST /users/{user_id}/meetings) and outputs it. Never creates "
      "two: after a dropped connection it looks for the meeting before trying again.";
  std::vector<SettingSpec> fields = meeting_fields(true);
  fields[0].required = true; // a meeting without a topic is "Zoom Meeting": almost a mistake
  t.spec.settings = with_common(std::move(fields));
  t.spec.outputs = meeting_outputs();
  t.spec.outputs.push_back({"reconciled", T::boolean,
                            "True when the create's answer was lost and the meeting was found "
                            "afterwards instead of being created again."});
  t.spec.requirements = {"scope: meeting:write:meeting (or meeting:write:meeting:admin)"};
  t.spec.side_effects = true;
  t.spec.idempotent = false;
  t.run_async = [](Context& ctx) {
    // Set when the run was resumed elsewhere while an attempt of this create was in flight.
    const auto earlier = ctx.earlier_attempt_started();
    return run_zoom_node(
        ctx, [earlier](ZoomApi& api, const Value& settings) -> asio::awaitable<Value> {
          const auto now = std::chrono::system_clock::now();
          const Value body = create_meeting_body(settings, now);
          const std::string user = user_id_from(settings);
          Value meeting = co_await create_without_duplicates(api, user, body, earlier);
          co_return without_start_url(meeting);
        });
  };
  return t;
}

NodeType get_meeting_type() {
  NodeType t;
  t.spec.type = "zoom.get_meeting";
  t.spec.description = "Reads a Zoom meeting (GET /meetings/{meeting_id}).";
  t.spec.settings = with_common({
      {"meeting_id", T::any, "Meeting number (digits).", true, {}},
      {"occurrence_id", T::any, "One occurrence of a recurring meeting.", false, {}},
      {"show_previous_occurrences", T::boolean, "Include past occurrences.", false, {}},
  });
  t.spec.outputs = meeting_outputs();
  t.spec.requirements = {"scope: meeting:read:meeting (or meeting:read:meeting:admin)"};
  t.run_async = [](Context& ctx) {
    return run_zoom_node(ctx, [](ZoomApi& api, const Value& settings) -> asio::awaitable<Value> {
      const std::string id = meeting_id_from(settings);
      const auto occurrence = occurrence_id_from(settings);
      const Value& previous = settings["show_previous_occurrences"];
      const std::string extra = previous.is_bool() ? std::string("show_previous_occurrences=") +
                                                         (previous.as_bool() ? "true" : "false")
                                                   : "";
      co_return without_start_url(co_await get_meeting(api, id, occurrence, extra));
    });
  };
  return t;
}

NodeType update_meeting_type() {
  NodeType t;
  t.spec.type = "zoom.update_meeting";
  t.spec.description = "Changes a Zoom meeting (PATCH /meetings/{meeting_id}) and outputs the "
                       "meeting as it is afterwards (read back: Zoom answers 204).";
  std::vector<SettingSpec> fields = meeting_fields(false);
  fields.pop_back(); // user_id: the meeting number says whose it is
  fields.insert(fields.begin(), {"meeting_id", T::any, "Meeting number (digits).", true, {}});
  fields.insert(fields.begin() + 1,
                {"occurrence_id", T::any, "Change only this occurrence.", false, {}});
  t.spec.settings = with_common(std::move(fields));
  t.spec.outputs = meeting_outputs();
  t.spec.requirements = {"scope: meeting:update:meeting (or meeting:update:meeting:admin)",
                         "scope: meeting:read:meeting (to read the result back)"};
  t.spec.side_effects = true;
  t.spec.idempotent = true; // the same PATCH twice leaves the same meeting
  t.run_async = [](Context& ctx) {
    return run_zoom_node(ctx, [](ZoomApi& api, const Value& settings) -> asio::awaitable<Value> {
      const std::string id = meeting_id_from(settings);
      const auto occurrence = occurrence_id_from(settings);
      const Value body = update_meeting_body(settings, std::chrono::system_clock::now());
      const ApiRequest request =
          api_request("PATCH", meeting_path(id, occurrence), "update meeting " + id,
                      "meeting:update:meeting", body);
      co_await api.call_ok(request);
      co_return without_start_url(co_await get_meeting(api, id, occurrence));
    });
  };
  return t;
}

NodeType list_meetings_type() {
  NodeType t;
  t.spec.type = "zoom.list_meetings";
  t.spec.description = "Lists a user's meetings (GET /users/{user_id}/meetings), following "
                       "next_page_token through every page (or up to `limit`).";
  t.spec.settings = with_common({
      {"user_id", T::string, "me, an e-mail or a user id.", false, Value("me")},
      {"type", T::string,
       "scheduled (default), live, upcoming, upcoming_meetings or previous_meetings.", false,
       Value("scheduled")},
      {"page_size", T::integer, "Meetings per request, 1 to 300.", false, Value(300)},
      {"from", T::string, "Start date, yyyy-mm-dd.", false, {}},
      {"to", T::string, "End date, yyyy-mm-dd.", false, {}},
      {"limit", T::integer, "Stop after this many meetings.", false, {}},
      {"topic_prefix",
       T::string,
       "Keep only meetings whose topic starts with this (filtered here: Zoom has no such "
       "query).",
       false,
       {}},
  });
  t.spec.outputs = {
      {"meetings", T::array, "The meetings, in Zoom's order."},
      {"total_records", T::integer, "How many meetings match, as Zoom counts them."},
  };
  t.spec.requirements = {"scope: meeting:read:list_meetings (or "
                         "meeting:read:list_meetings:admin)"};
  t.run_async = [](Context& ctx) {
    return run_zoom_node(ctx, [](ZoomApi& api, const Value& settings) -> asio::awaitable<Value> {
      const ListQuery query = list_query_from(settings);
      const Value& prefix = settings["topic_prefix"];
      const std::string topic_prefix = prefix.is_string() ? std::string(prefix.as_string()) : "";
      co_return co_await list_meetings(api, query, topic_prefix);
    });
  };
  return t;
}

NodeType delete_meeting_type() {
  NodeType t;
  t.spec.type = "zoom.delete_meeting";
  t.spec.description = "Deletes a Zoom meeting (DELETE /meetings/{meeting_id}); without "
                       "occurrence_id a recurring meeting's whole series.";
  t.spec.settings = with_common({
      {"meeting_id", T::any, "Meeting number (digits).", true, {}},
      {"occurrence_id", T::any, "Delete only this occurrence.", false, {}},
      {"schedule_for_reminder", T::boolean, "E-mail the host and alternative hosts.", false, {}},
      {"cancel_meeting_reminder", T::boolean, "E-mail the registrants.", false, {}},
  });
  t.spec.outputs = {{"meeting_id", T::integer, "The meeting deleted."},
                    {"deleted", T::boolean, "True."}};
  t.spec.requirements = {"scope: meeting:delete:meeting (or meeting:delete:meeting:admin)"};
  t.spec.side_effects = true;
  t.spec.idempotent = true; // see delete_meeting: a repeat after a lost answer counts as done
  t.run_async = [](Context& ctx) {
    return run_zoom_node(ctx, [](ZoomApi& api, const Value& settings) -> asio::awaitable<Value> {
      const DeleteQuery query = delete_query_from(settings);
      co_return co_await delete_meeting(api, query);
    });
  };
  return t;
}

NodeType get_user_type() {
  NodeType t;
  t.spec.type = "zoom.get_user";
  t.spec.description = "Reads a Zoom user (GET /users/{user_id}); `me` is the connection's "
                       "user.";
  t.spec.settings = with_common({
      {"user_id", T::string, "me, an e-mail or a user id.", false, Value("me")},
  });
  t.spec.outputs = {
      {"id", T::string, "User id."},
      {"email", T::string, "E-mail."},
      {"first_name", T::string, "First name."},
      {"last_name", T::string, "Last name."},
      {"display_name", T::string, "Display name."},
      {"type", T::integer, "1 Basic, 2 Licensed, 4 Unassigned."},
      {"pmi", T::integer, "Personal meeting id."},
      {"use_pmi", T::boolean, "Whether instant meetings use the PMI."},
      {"timezone", T::string, "Time zone."},
      {"language", T::string, "Language."},
      {"account_id", T::string, "Account id."},
      {"account_number", T::integer, "Account number."},
      {"status", T::string, "pending, active or inactive."},
      {"role_name", T::string, "Role."},
      {"dept", T::string, "Department."},
      {"created_at", T::string, "When the user was created."},
      {"last_login_time", T::string, "Last sign-in."},
      {"personal_meeting_url", T::string, "PMI join URL."},
      {"pic_url", T::string, "Picture URL."},
      {"verified", T::integer, "1 when the e-mail is verified."},
      {"phone_number", T::string, "Phone number."},
      {"group_ids", T::array, "Groups."},
  };
  t.spec.requirements = {"scope: user:read:user (or user:read:user:admin)"};
  t.run_async = [](Context& ctx) {
    return run_zoom_node(ctx, [](ZoomApi& api, const Value& settings) -> asio::awaitable<Value> {
      const std::string user = user_id_from(settings);
      const ApiRequest request = api_request("GET", "/users/" + percent_encode(user),
                                             "get user " + user, "user:read:user");
      const ApiAnswer answer = co_await api.call_ok(request);
      co_return answer.body;
    });
  };
  return t;
}

} // namespace

void register_meeting_nodes(Registrar& registrar) {
  registrar.add(create_meeting_type());
  registrar.add(get_meeting_type());
  registrar.add(update_meeting_type());
  registrar.add(list_meetings_type());
  registrar.add(delete_meeting_type());
  registrar.add(get_user_type());
  // Every Zoom node talks to Zoom through the engine's HTTP service only, so a dry run can run
  // them and show the requests that would change something instead of sending them.
  for (const char* type : {"zoom.create_meeting", "zoom.get_meeting", "zoom.update_meeting",
                           "zoom.list_meetings", "zoom.delete_meeting", "zoom.get_user"})
    registrar.declare_reach(type, Reach::http_only);
  // A create run again after its answer was lost looks for its meeting first (reconcile.hpp).
  registrar.declare_reconciles("zoom.create_meeting");
}

} // namespace sluice::zoom
