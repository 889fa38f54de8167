// The tables of the meeting fields Zoom's create and update requests take, with the enums,
// ranges and lengths checked for each.

// "spec" is Zoom's OpenAPI document, plugins/zoom/spec/zoom-plugin-operations.json (the create
// and update request bodies); "§n" a section of docs/zoom-api.md. Where the two disagree the
// newer (2025) value of docs/zoom-api.md is used and the comment says so.

#include "meeting_fields.hpp"

namespace sluice::zoom::detail {

namespace {

constexpr Shape boolean{.kind = Kind::boolean};
constexpr Shape text{.kind = Kind::string};
constexpr Shape email_text{.kind = Kind::string, .email = true};

// spec: meeting settings (create and update), with the enums and limits given there.
constexpr std::int64_t jbh_times[] = {0, 5, 10};
constexpr std::int64_t approval_types[] = {0, 1, 2};
constexpr std::int64_t registration_types[] = {1, 2, 3};
constexpr std::int64_t calendar_types[] = {1, 2};
constexpr std::string_view audio_kinds[] = {"both", "telephony", "voip", "thirdParty"};
constexpr std::string_view recording_kinds[] = {"local", "cloud", "none"};
constexpr std::string_view encryption_kinds[] = {"enhanced_encryption", "e2ee"};
constexpr std::string_view country_methods[] = {"approve", "deny"};
constexpr std::string_view dial_in_kinds[] = {"toll", "tollfree"};
constexpr Shape text_list = list_of(text);

constexpr Field exception_fields[] = {
    {"email", email_text}, {"name", text}, {"join_url", text, Op::update}};
constexpr Shape exception_shape = object_of(exception_fields, "authentication exception");
constexpr Field room_fields[] = {{"name", text}, {"participants", text_list}};
constexpr Shape room_shape = object_of(room_fields, "breakout room");
constexpr Field breakout_fields[] = {{"enable", boolean}, {"rooms", list_of(room_shape)}};
constexpr Field interpreter_fields[] = {{"email", email_text}, {"languages", text}};
constexpr Shape interpreter_shape = object_of(interpreter_fields, "interpreter");
constexpr Field interpretation_fields[] = {{"enable", boolean},
                                           {"interpreters", list_of(interpreter_shape)}};
constexpr Field country_fields[] = {{"enable", boolean},
                                    {"method", string_enum(country_methods)},
                                    {"approved_list", text_list},
                                    {"denied_list", text_list}};
constexpr Field invitee_fields[] = {{"email", email_text}};
constexpr Shape invitee_shape = object_of(invitee_fields, "invitee");
constexpr Field dial_in_fields[] = {{"city", text},
                                    {"country", text},
                                    {"country_name", text},
                                    {"number", text},
                                    {"type", string_enum(dial_in_kinds)}};
constexpr Shape dial_in_shape = object_of(dial_in_fields, "dial-in number");
constexpr Field custom_key_fields[] = {{"key", text_up_to(64)}, {"value", text_up_to(256)}};
constexpr Shape custom_key_shape = object_of(custom_key_fields, "custom key");

constexpr Field setting_fields[] = {
    {"host_video", boolean},
    {"participant_video", boolean},
    {"cn_meeting", boolean},
    {"in_meeting", boolean},
    {"join_before_host", boolean},
    {"jbh_time", int_enum(jbh_times)},
    {"mute_upon_entry", boolean},
    {"watermark", boolean},
    {"use_pmi", boolean},
    {"approval_type", int_enum(approval_types)},
    {"registration_type", int_enum(registration_types)},
    {"audio", string_enum(audio_kinds)},
    {"auto_recording", string_enum(recording_kinds)},
    {"alternative_hosts", text},
    {"alternative_hosts_email_notification", boolean},
    {"alternative_host_update_polls", boolean},
    {"close_registration", boolean},
    {"waiting_room", boolean},
    {"global_dial_in_countries", text_list},
    {"global_dial_in_numbers", list_of(dial_in_shape), Op::update},
    {"contact_name", text},
    {"contact_email", email_text},
    {"registrants_confirmation_email", boolean},
    {"registrants_email_notification", boolean},
    {"meeting_authentication", boolean},
    {"authentication_option", text},
    {"authentication_domains", text},
    {"authentication_name", text, Op::update},
    {"authentication_exception", list_of(exception_shape)},
    {"additional_data_center_regions", text_list, Op::create},
    {"breakout_room", object_of(breakout_fields, "breakout_room setting")},
    {"language_interpretation",
     object_of(interpretation_fields, "language_interpretation setting")},
    {"approved_or_denied_countries_or_regions", object_of(country_fields, "countries setting")},
    {"meeting_invitees", list_of(invitee_shape)},
    {"show_share_button", boolean},
    {"allow_multiple_devices", boolean},
    {"encryption_type", string_enum(encryption_kinds)},
    {"email_notification", boolean},
    {"calendar_type", int_enum(calendar_types)},
    {"private_meeting", boolean},
    {"focus_mode", boolean},
    {"host_save_video_order", boolean},
    {"audio_conference_info", text_up_to(2048)},
    {"enforce_login", boolean, Op::update},
    {"enforce_login_domains", text, Op::update},
    {"custom_keys", list_of(custom_key_shape, 10), Op::update},
};

// spec: recurrence; repeat_interval's per-type maximum and the formats are checked in
// recurrence.cpp.
constexpr std::int64_t recurrence_types[] = {1, 2, 3};
constexpr std::int64_t monthly_weeks[] = {-1, 1, 2, 3, 4};
constexpr std::int64_t week_days[] = {1, 2, 3, 4, 5, 6, 7};
constexpr Field recurrence_fields[] = {
    {"type", int_enum(recurrence_types), Op::both, true},
    {"repeat_interval", integer_range(1, std::numeric_limits<std::int64_t>::max())},
    {"weekly_days", text},
    {"monthly_day", integer_range(1, 31, "a day of the month")},
    {"monthly_week", int_enum(monthly_weeks)},
    {"monthly_week_day", int_enum(week_days)},
    // §2: at most 60 (Zoom 2025); the 2023 spec says 365 (beyond 50 only via Zoom support).
    {"end_times", integer_range(1, 60, "occurrences")},
    {"end_date_time", text},
};

constexpr Field tracking_field_fields[] = {{"field", text, Op::both, true}, {"value", text}};
constexpr Shape tracking_field_shape = object_of(tracking_field_fields, "tracking field");

} // namespace

constexpr Shape recurrence_shape = object_of(recurrence_fields, "recurrence field");
constexpr Shape meeting_settings_shape = object_of(setting_fields, "meeting setting");

namespace {

// spec: the create/update body. `type` 10 as in Zoom's 2025 spec (patch 3 in
// plugins/zoom/spec/README.md); duration 1-1440 from §2 (Zoom 2025; the 2023 spec gives no
// range).
constexpr std::int64_t meeting_types[] = {1, 2, 3, 8, 10};
constexpr Field body_fields[] = {
    {"topic", text_up_to(200)},
    {"type", int_enum(meeting_types)},
    {"start_time", text},
    {"duration", integer_range(1, 1440, "minutes (at most 24 hours)")},
    {"timezone", text},
    {"password", text_up_to(10)},
    {"default_password", boolean, Op::create},
    {"agenda", text_up_to(2000)},
    {"pre_schedule", boolean},
    {"schedule_for", text},
    {"template_id", text},
    {"tracking_fields", list_of(tracking_field_shape)},
    {"recurrence", recurrence_shape},
    {"settings", meeting_settings_shape},
};

} // namespace

constexpr Shape meeting_body_shape = object_of(body_fields, "meeting field");

} // namespace sluice::zoom::detail
