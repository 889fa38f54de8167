// The emulator's front door (router.hpp): route matching, authentication, scopes, rate
// limits, faults and counters, in that order.

#include "router.hpp"

#include "errors.hpp"
#include "handlers.hpp"
#include "util.hpp"

#include <cstdio>
#include <vector>

namespace sluice::zoom_emulator {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (slash != 0)
      segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// The counters' name for a request: the route template, so ids do not split the counts.
std::string route_label(const Request& request) {
  const std::vector<std::string_view> segments = split_path(request.path);
  const bool api = !segments.empty() && segments[0] == "v2";
  if (api && segments.size() == 4 && segments[1] == "users" && segments[3] == "meetings")
    return request.method + " /v2/users/{userId}/meetings";
  if (api && segments.size() == 3 && segments[1] == "users")
    return request.method + " /v2/users/{userId}";
  if (api && segments.size() == 3 && segments[1] == "meetings")
    return request.method + " /v2/meetings/{meetingId}";
  if (request.path == "/oauth/authorize" || request.path == "/oauth/token" ||
      request.path == "/oauth/revoke" || request.path.starts_with("/_emulator/"))
    return request.method + " " + request.path;
  return "unmatched";
}

Response not_found() {
  return zoom_error(404, 404, "The requested resource does not exist.");
}

Response method_not_allowed() {
  return zoom_error(405, 405, "Method not allowed.");
}

RateCategory category_of(Operation operation) {
  // Z25 labels (docs/zoom-api.md §4): only List is Medium.
  return operation == Operation::list_meetings ? RateCategory::medium : RateCategory::light;
}

Value counters_json(const Counters& counters) {
  Object routes;
  for (const auto& [route, count] : counters.requests_per_route)
    routes.emplace_back(route, static_cast<std::int64_t>(count));
  return Value(
      Object{{"requests_per_route", Value(std::move(routes))},
             {"tokens_issued", static_cast<std::int64_t>(counters.tokens_issued)},
             {"meetings_created", static_cast<std::int64_t>(counters.meetings_created)},
             {"meetings_updated", static_cast<std::int64_t>(counters.meetings_updated)},
             {"meetings_deleted", static_cast<std::int64_t>(counters.meetings_deleted)},
             {"occurrences_deleted", static_cast<std::int64_t>(counters.occurrences_deleted)}});
}

} // namespace

Router::Router(EmulatorConfig config)
    : state_(std::move(config)), limiter_(state_.config().plan), faults_(state_.random()) {
  if (!state_.config().faults.empty()) {
    if (auto error = faults_.configure(state_.config().faults))
      throw std::invalid_argument("--faults: " + *error);
  }
  if (!state_.config().record_requests_file.empty()) {
    recorder_.open(state_.config().record_requests_file, std::ios::app);
    if (!recorder_)
      throw std::invalid_argument("--record-requests: cannot open " +
                                  state_.config().record_requests_file);
  }
}

void Router::record(const Request& request) {
  Object query;
  for (const auto& [name, value] : request.query)
    query.emplace_back(name, value);
  Value body; // null: no body, or one that is not JSON (the request is still recorded)
  if (!request.body.empty()) {
    try {
      body = Value::parse_json(request.body);
    } catch (const std::exception&) {
    }
  }
  const Value line(Object{{"method", request.method},
                          {"path", request.path},
                          {"query", Value(std::move(query))},
                          {"body", std::move(body)}});
  // Flushed per line: tests read the file while the emulator runs.
  recorder_ << line.to_json() << std::endl;
}

Router::Admission Router::admit(const Request& head) {
  Admission admission;
  admission.fault = faults_.before(head);
  admission.drop =
      admission.fault && admission.fault->connection == ConnectionFault::close_before_reading;
  if (admission.drop) {
    // Dropped unread: counted and recorded like any request received, without a body.
    if (recorder_.is_open() && head.path.starts_with("/v2/"))
      record(head);
    ++state_.counters.requests_per_route[route_label(head)];
  }
  return admission;
}

Response Router::handle(const Request& request, const std::optional<FaultAction>& fault) {
  // Every API request received, faulted ones included: what the client sent.
  if (recorder_.is_open() && request.path.starts_with("/v2/"))
    record(request);
  std::string route;
  if (fault && fault->expire_token) {
    const std::string_view authorization = request.header("authorization");
    if (authorization.starts_with("Bearer ")) {
      const auto token = state_.access_tokens.find(std::string(authorization.substr(7)));
      if (token != state_.access_tokens.end())
        token->second.expires_at = state_.now() - 1;
    }
  }
  Response response;
  if (fault && fault->replacement) {
    route = route_label(request);
    response = *fault->replacement;
  } else {
    response = dispatch(request, route);
  }
  ++state_.counters.requests_per_route[route];
  if (fault)
    faults_.apply(*fault, response);

  char tracking[64];
  std::snprintf(tracking, sizeof tracking, "v=2.0;clid=emulator;rid=EMU_%016llx",
                static_cast<unsigned long long>(next_tracking_number_++));
  response.set_header("x-zm-trackingid", tracking);
  return response;
}

Response Router::dispatch(const Request& request, std::string& route) {
  const std::string& path = request.path;
  if (path.starts_with("/v2/"))
    return api(request, route);
  if (path.starts_with("/_emulator/"))
    return admin(request, route);
  if (path == "/oauth/authorize") {
    route = request.method + " /oauth/authorize";
    if (request.method == "GET")
      return oauth_authorize(state_, request);
    if (request.method == "POST")
      return oauth_authorize_decision(state_, request);
    return method_not_allowed();
  }
  if (path == "/oauth/token" || path == "/oauth/revoke") {
    route = request.method + " " + path;
    if (request.method != "POST")
      return method_not_allowed();
    return path == "/oauth/token" ? oauth_token(state_, request) : oauth_revoke(state_, request);
  }
  route = "unmatched";
  return not_found();
}

Response Router::api(const Request& request, std::string& route) {
  const std::vector<std::string_view> segments = split_path(request.path);
  const std::string& method = request.method;
  // segments[0] is "v2".
  std::optional<Operation> operation;
  std::string_view user_id;
  std::string_view meeting_id;
  if (segments.size() == 4 && segments[1] == "users" && segments[3] == "meetings") {
    user_id = segments[2];
    route = method + " /v2/users/{userId}/meetings";
    if (method == "POST")
      operation = Operation::create_meeting;
    else if (method == "GET")
      operation = Operation::list_meetings;
  } else if (segments.size() == 3 && segments[1] == "users") {
    user_id = segments[2];
    route = method + " /v2/users/{userId}";
    if (method == "GET")
      operation = Operation::get_user;
  } else if (segments.size() == 3 && segments[1] == "meetings") {
    meeting_id = segments[2];
    route = method + " /v2/meetings/{meetingId}";
    if (method == "GET")
      operation = Operation::get_meeting;
    else if (method == "PATCH")
      operation = Operation::update_meeting;
    else if (method == "DELETE")
      operation = Operation::delete_meeting;
  } else {
    route = "unmatched";
    return not_found();
  }
  if (!operation)
    return method_not_allowed();

  auto authenticated = authenticate(state_, request);
  if (auto* failure = std::get_if<Response>(&authenticated))
    return std::move(*failure);
  const Caller caller = std::get<Caller>(authenticated);
  if (auto failure = check_scope(caller, *operation))
    return std::move(*failure);

  // A user-level token updates and deletes only its own user's meetings (docs/zoom-api.md §3:
  // 3003 on update and delete; get is not restricted there). Checked before the rate
  // limits, so a refused update does not count against the host's daily limit.
  if ((*operation == Operation::update_meeting || *operation == Operation::delete_meeting) &&
      !acts_for_account(caller, *operation)) {
    const User* host = meeting_host(state_, meeting_id);
    if (host && host->id != caller.user->id)
      return zoom_error(400, code::not_meeting_host, "You are not the meeting host.");
  }

  const User* user = nullptr;
  if (!user_id.empty()) {
    auto resolved = resolve_user(state_, caller, user_id);
    if (auto* failure = std::get_if<Response>(&resolved))
      return std::move(*failure);
    user = std::get<const User*>(resolved);
  }

  // The per-user daily limit counts create and update against the meeting's host.
  std::string limited_host;
  if (*operation == Operation::create_meeting)
    limited_host = user->id;
  else if (*operation == Operation::update_meeting)
    if (const User* host = meeting_host(state_, meeting_id))
      limited_host = host->id;
  std::vector<std::pair<std::string, std::string>> rate_headers;
  // --no-rate-limits: load tests measure the emulator, not Zoom's limits.
  if (state_.config().rate_limits) {
    if (auto limited =
            limiter_.admit(category_of(*operation), limited_host, state_.now(), rate_headers))
      return std::move(*limited);
  }

  Response response;
  switch (*operation) {
  case Operation::create_meeting:
    response = create_meeting(state_, *user, request);
    break;
  case Operation::list_meetings:
    response = list_meetings(state_, *user, request);
    break;
  case Operation::get_user:
    response = get_user(state_, *user, request);
    break;
  case Operation::get_meeting:
    response = get_meeting(state_, meeting_id, request);
    break;
  case Operation::update_meeting:
    response = update_meeting(state_, meeting_id, request);
    break;
  case Operation::delete_meeting:
    response = delete_meeting(state_, meeting_id, request);
    break;
  }
  for (auto& [name, value] : rate_headers)
    response.set_header(name, value);
  return response;
}

Response Router::admin(const Request& request, std::string& route) {
  route = request.method + " " + request.path;
  // Admin endpoints change the emulator's behaviour: only local processes may use them.
  if (!request.from_loopback)
    return zoom_error(403, 403, "Admin endpoints answer loopback clients only.");
  if (request.path == "/_emulator/counters" && request.method == "GET")
    return json_response(200, counters_json(state_.counters));
  if (request.path == "/_emulator/faults" && request.method == "POST") {
    if (auto error = faults_.configure(request.body))
      return zoom_error(400, code::validation_failed, *error);
    return json_response(200, Value(Object{{"status", "success"}}));
  }
  if (request.path == "/_emulator/faults" && request.method == "DELETE") {
    faults_.clear();
    return empty_response(204);
  }
  if (request.path == "/_emulator/tokens/expire" && request.method == "POST") {
    // Early expiry of every live access token, for clients' refresh-on-124 paths.
    for (auto& [token, access] : state_.access_tokens)
      access.expires_at = std::min(access.expires_at, state_.now() - 1);
    return json_response(200, Value(Object{{"status", "success"}}));
  }
  return not_found();
}

} // namespace sluice::zoom_emulator
