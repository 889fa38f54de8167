// Meeting calls that take more than one request: a create retried without making a duplicate,
// a list followed through every page, a delete whose lost answer is not an error.

#include "reconcile.hpp"

#include "meeting_claims.hpp"

#include <sluice/encoding.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <ctime>
#include <set>
#include <vector>

namespace sluice::zoom {

namespace asio = boost::asio;

namespace {

// Zoom's defaults for fields the create body left out (docs/zoom-api.md §2).
std::string topic_of(const Value& body) {
  const Value& topic = body["topic"];
  return topic.is_string() ? std::string(topic.as_string()) : "Zoom Meeting";
}
std::int64_t int_or(const Value& body, std::string_view key, std::int64_t fallback) {
  const Value& v = body[key];
  return v.is_int() ? v.as_int() : fallback;
}

std::optional<std::time_t> parse_utc(const Value& text) {
  if (!text.is_string())
    return std::nullopt;
  std::tm parts{};
  const std::string s(text.as_string());
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &parts))
    return std::nullopt;
  return timegm(&parts);
}

// Whether `meeting` (from the list) is the one `body` asked for, created at or after
// `since`. A local start time (no `Z`) is not compared: the list gives UTC, and topic,
// duration, type and creation time already pin it down.
bool matches(const Value& meeting, const Value& body, std::time_t since) {
  if (!meeting["topic"].is_string() || meeting["topic"].as_string() != topic_of(body))
    return false;
  if (int_or(meeting, "type", 2) != int_or(body, "type", 2))
    return false;
  if (int_or(body, "type", 2) != 3 &&
      int_or(meeting, "duration", 60) != int_or(body, "duration", 60))
    return false;
  const Value& start = body["start_time"];
  if (start.is_string() && !start.as_string().empty() && start.as_string().back() == 'Z' &&
      parse_utc(meeting["start_time"]) != parse_utc(start))
    return false;
  const auto created = parse_utc(meeting["created_at"]);
  return created && *created >= since;
}

// The meeting a lost create made: one that matches `body`, was created after `since`, and
// that no other create of this process has reported. Of several, the earliest created: two
// creates of one process that both lost their answers then adopt one meeting each.
asio::awaitable<std::optional<Value>> find_created(ZoomApi& api, const std::string& user,
                                                   const Value& body, std::time_t since) {
  ListQuery query;
  query.user_id = user;
  query.type = "scheduled";
  query.page_size = 300;
  const Value listed = co_await list_meetings(api, query);
  std::vector<const Value*> candidates;
  for (const Value& meeting : listed["meetings"].as_array())
    if (matches(meeting, body, since) && meeting["id"].is_int())
      candidates.push_back(&meeting);
  std::stable_sort(candidates.begin(), candidates.end(), [](const Value* a, const Value* b) {
    return parse_utc((*a)["created_at"]) < parse_utc((*b)["created_at"]);
  });
  std::optional<Value> found;
  for (const Value* meeting : candidates)
    if (claim_meeting((*meeting)["id"].as_int())) { // checked and taken in one step
      found = *meeting;
      break;
    }
  if (!found)
    co_return std::nullopt;
  // The list has fewer fields than the meeting itself: read it whole.
  const std::string id = std::to_string((*found)["id"].as_int());
  const ApiRequest request =
      api_request("GET", "/meetings/" + id, "get meeting " + id, "meeting:read:meeting");
  const ApiAnswer answer = co_await api.call_ok(request);
  co_return answer.body;
}

asio::awaitable<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

Value with_reconciled(const Value& meeting, bool reconciled) {
  Object fields;
  if (meeting.is_object())
    for (const auto& [key, value] : meeting.as_object())
      fields.emplace_back(std::string(key), value);
  fields.emplace_back("reconciled", reconciled);
  return Value(std::move(fields));
}

} // namespace

asio::awaitable<Value>
create_without_duplicates(ZoomApi& api, const std::string& user, const Value& body,
                          std::optional<std::chrono::system_clock::time_point> earlier) {
  const std::string path = "/users/" + percent_encode(user) + "/meetings";
  constexpr int max_attempts = 3;
  if (earlier) {
    if (int_or(body, "type", 2) == 1)
      throw NodeError(ErrorCategory::permanent,
                      "this run was resumed after the process running it stopped while it "
                      "created an instant meeting for " +
                          user +
                          "; instant meetings cannot be looked up, so it is not created again. "
                          "Check the user's meetings, then run the pipeline again");
    // Zoom's clock may lag ours a little: look a minute before the lost attempt started.
    const std::time_t since = std::chrono::system_clock::to_time_t(*earlier) - 60;
    if (std::optional<Value> meeting = co_await find_created(api, user, body, since)) {
      api.notes.push_back("resumed after the process running this create stopped: found the "
                          "meeting its attempt had created, adopted it");
      co_return with_reconciled(*meeting, true);
    }
    api.notes.push_back("resumed after the process running this create stopped: Zoom had not "
                        "created the meeting, creating it now");
  }
  for (int attempt = 1;; ++attempt) {
    // Zoom's clock may lag ours a little: look a minute before the send.
    const std::time_t since = std::time(nullptr) - 60;
    try {
      const ApiRequest request = api_request("POST", path, "create a meeting for " + user,
                                             "meeting:write:meeting", body, /*idempotent=*/false);
      std::optional<CreateInFlight> in_flight(std::in_place);
      const ApiAnswer answer = co_await api.call_ok(request);
      if (const Value* id = answer.body.find("id"); id && id->is_int())
        if (!claim_meeting(id->as_int())) // a reconciling create took it while we waited
          api.notes.push_back("meeting " + std::to_string(id->as_int()) +
                              " was also adopted by another create whose answer was lost; "
                              "check the user's meetings for one too many");
      in_flight.reset();
      co_return with_reconciled(answer.body, false);
    } catch (const AmbiguousOutcome& e) {
      if (int_or(body, "type", 2) == 1 || attempt == max_attempts)
        throw; // instant meetings never appear in the list: nothing to look for
      api.notes.push_back(std::string(e.what()) +
                          "; looking for the meeting before creating it again");
    }
    // Creates of this process still waiting for their answer will claim their own meetings;
    // only once they have may what is left be ours (each wait is bounded by its deadline).
    while (creates_in_flight() > 0)
      co_await pause(std::chrono::milliseconds(20));
    if (std::optional<Value> meeting = co_await find_created(api, user, body, since)) {
      api.notes.push_back("found the meeting the lost answer was about: adopted it");
      co_return with_reconciled(*meeting, true);
    }
    api.notes.push_back("Zoom had not created it: creating it again");
  }
}

asio::awaitable<Value> list_meetings(ZoomApi& api, const ListQuery& query,
                                     const std::string& topic_prefix) {
  const std::string path = "/users/" + percent_encode(query.user_id) + "/meetings?";
  Array meetings;
  Value total = 0;
  std::string token;
  std::set<std::string> seen_tokens;
  for (;;) {
    ApiRequest request =
        api_request("GET", path + query.query_string(token), "list meetings of " + query.user_id,
                    "meeting:read:list_meetings");
    request.rate_category = "Medium";
    const ApiAnswer answer = co_await api.call_ok(request);
    if (const Value* records = answer.body.find("total_records"))
      total = *records;
    if (const Value* page = answer.body.find("meetings"); page && page->is_array())
      for (const Value& meeting : page->as_array()) {
        if (query.limit && static_cast<std::int64_t>(meetings.size()) >= *query.limit)
          break;
        const Value& topic = meeting["topic"];
        if (!topic_prefix.empty() &&
            !(topic.is_string() &&
              topic.as_string().substr(0, topic_prefix.size()) == topic_prefix))
          continue;
        meetings.push_back(meeting);
      }
    const Value* next = answer.body.find("next_page_token");
    token = next && next->is_string() ? std::string(next->as_string()) : "";
    if (token.empty() ||
        (query.limit && static_cast<std::int64_t>(meetings.size()) >= *query.limit))
      break;
    if (!seen_tokens.insert(token).second) // a server repeating itself must not loop us
      throw NodeError(ErrorCategory::transient,
                      "Zoom returned the same next_page_token twice while listing meetings");
  }
  co_return Value(Object{{"meetings", Value(std::move(meetings))}, {"total_records", total}});
}

asio::awaitable<Value> delete_meeting(ZoomApi& api, const DeleteQuery& query) {
  const std::string q = query.query_string();
  const ApiRequest request =
      api_request("DELETE", "/meetings/" + query.meeting_id + (q.empty() ? "" : "?" + q),
                  "delete meeting " + query.meeting_id, "meeting:delete:meeting");
  const CallDescription call = request.call;
  ApiAnswer answer = co_await api.call(request);
  if (answer.status == 404 && answer.after_lost_attempt)
    api.notes.push_back("the first DELETE's answer was lost and the repeat found nothing: "
                        "counted as deleted");
  else if (answer.status >= 300)
    throw api.error(answer, call);
  co_return Value(Object{{"meeting_id", std::stoll(query.meeting_id)}, {"deleted", true}});
}

} // namespace sluice::zoom
