// The create/update meeting request schema, restated from Zoom's spec (Z23 with the three
// patches of plugins/zoom/spec/README.md) and the limits docs/zoom-api.md §2 documents (duration
// 1-1440, end_times <= 60). Only constraints are kept; descriptions live in Zoom's documents.

#include "schema.hpp"

namespace sluice::zoom_emulator {

namespace {

constexpr const char* meeting_request_schema_json = R"json({
  "type": "object",
  "properties": {
    "topic": {"type": "string", "maxLength": 200},
    "type": {"type": "integer", "enum": [1, 2, 3, 8, 10]},
    "start_time": {"type": "string",
                   "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z?$"},
    "duration": {"type": "integer", "minimum": 1, "maximum": 1440},
    "timezone": {"type": "string"},
    "password": {"type": "string", "maxLength": 10},
    "default_password": {"type": "boolean"},
    "agenda": {"type": "string", "maxLength": 2000},
    "pre_schedule": {"type": "boolean"},
    "schedule_for": {"type": "string"},
    "template_id": {"type": "string"},
    "tracking_fields": {"type": "array", "items": {
      "type": "object", "required": ["field"],
      "properties": {"field": {"type": "string"}, "value": {"type": "string"}}}},
    "recurrence": {"type": "object", "required": ["type"], "properties": {
      "type": {"type": "integer", "enum": [1, 2, 3]},
      "repeat_interval": {"type": "integer", "minimum": 1},
      "weekly_days": {"type": "string", "pattern": "^[1-7](,[1-7])*$"},
      "monthly_day": {"type": "integer", "minimum": 1, "maximum": 31},
      "monthly_week": {"type": "integer", "enum": [-1, 1, 2, 3, 4]},
      "monthly_week_day": {"type": "integer", "enum": [1, 2, 3, 4, 5, 6, 7]},
      "end_times": {"type": "integer", "minimum": 1, "maximum": 60},
      "end_date_time": {"type": "string", "format": "date-time"}}},
    "settings": {"type": "object", "properties": {
      "host_video": {"type": "boolean"},
      "participant_video": {"type": "boolean"},
      "cn_meeting": {"type": "boolean"},
      "in_meeting": {"type": "boolean"},
      "join_before_host": {"type": "boolean"},
      "jbh_time": {"type": "integer", "enum": [0, 5, 10]},
      "mute_upon_entry": {"type": "boolean"},
      "watermark": {"type": "boolean"},
      "use_pmi": {"type": "boolean"},
      "approval_type": {"type": "integer", "enum": [0, 1, 2]},
      "registration_type": {"type": "integer", "enum": [1, 2, 3]},
      "audio": {"type": "string", "enum": ["both", "telephony", "voip", "thirdParty"]},
      "auto_recording": {"type": "string", "enum": ["local", "cloud", "none"]},
      "alternative_hosts": {"type": "string"},
      "alternative_hosts_email_notification": {"type": "boolean"},
      "alternative_host_update_polls": {"type": "boolean"},
      "close_registration": {"type": "boolean"},
      "waiting_room": {"type": "boolean"},
      "global_dial_in_countries": {"type": "array", "items": {"type": "string"}},
      "contact_name": {"type": "string"},
      "contact_email": {"type": "string"},
      "registrants_confirmation_email": {"type": "boolean"},
      "registrants_email_notification": {"type": "boolean"},
      "meeting_authentication": {"type": "boolean"},
      "authentication_option": {"type": "string"},
      "authentication_domains": {"type": "string"},
      "authentication_exception": {"type": "array", "items": {"type": "object", "properties": {
        "email": {"type": "string", "format": "email"}, "name": {"type": "string"}}}},
      "additional_data_center_regions": {"type": "array", "items": {"type": "string"}},
      "breakout_room": {"type": "object", "properties": {
        "enable": {"type": "boolean"},
        "rooms": {"type": "array", "items": {"type": "object", "properties": {
          "name": {"type": "string"},
          "participants": {"type": "array", "items": {"type": "string"}}}}}}},
      "language_interpretation": {"type": "object", "properties": {
        "enable": {"type": "boolean"},
        "interpreters": {"type": "array", "items": {"type": "object", "properties": {
          "email": {"type": "string", "format": "email"}, "languages": {"type": "string"}}}}}},
      "approved_or_denied_countries_or_regions": {"type": "object", "properties": {
        "enable": {"type": "boolean"},
        "method": {"type": "string", "enum": ["approve", "deny"]},
        "approved_list": {"type": "array", "items": {"type": "string"}},
        "denied_list": {"type": "array", "items": {"type": "string"}}}},
      "meeting_invitees": {"type": "array", "items": {"type": "object", "properties": {
        "email": {"type": "string", "format": "email"}}}},
      "show_share_button": {"type": "boolean"},
      "allow_multiple_devices": {"type": "boolean"},
      "encryption_type": {"type": "string", "enum": ["enhanced_encryption", "e2ee"]},
      "email_notification": {"type": "boolean"},
      "calendar_type": {"type": "integer", "enum": [1, 2]},
      "private_meeting": {"type": "boolean"},
      "focus_mode": {"type": "boolean"},
      "host_save_video_order": {"type": "boolean"},
      "audio_conference_info": {"type": "string", "maxLength": 2048}}}
  }
})json";

} // namespace

const Value& meeting_request_schema() {
  static const Value schema = Value::parse_json(meeting_request_schema_json);
  return schema;
}

} // namespace sluice::zoom_emulator
