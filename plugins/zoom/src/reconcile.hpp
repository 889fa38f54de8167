#pragma once
// The calls that need more than one request: create without duplicates, list through all
// pages, delete that tolerates its own lost answer.

#include "api.hpp"

#include "sluice_zoom/meeting_input.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>

namespace sluice::zoom {

/// POSTs `body` for `user`. When the answer is lost after the request went out (Zoom may
/// have created the meeting), looks for a meeting with the same topic, type, start time and
/// duration created since the request was sent: adopts it (`reconciled: true`), or, when
/// there is none, creates again. The output always has `reconciled`.
///
/// `earlier`: this is a run resumed after the process running it died while an attempt of
/// this create, started then, was in flight (`Context::earlier_attempt_started()`). It looks
/// for that attempt's meeting first, the same way, and creates only when there is none. An
/// instant meeting cannot be looked for: it is then not created again (a permanent error
/// says so).
boost::asio::awaitable<Value>
create_without_duplicates(ZoomApi& api, const std::string& user, const Value& body,
                          std::optional<std::chrono::system_clock::time_point> earlier = {});

/// Every page of the list (or up to `query.limit` meetings): `{meetings, total_records}`.
/// With a `topic_prefix`, only meetings whose topic starts with it are kept (and count
/// towards the limit); `total_records` stays Zoom's count.
boost::asio::awaitable<Value> list_meetings(ZoomApi& api, const ListQuery& query,
                                            const std::string& topic_prefix = {});

/// DELETE; a 404 that answers a repeat of a DELETE whose first answer was lost counts as
/// deleted. `{meeting_id, deleted: true}`.
boost::asio::awaitable<Value> delete_meeting(ZoomApi& api, const DeleteQuery& query);

} // namespace sluice::zoom
