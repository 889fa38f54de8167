// The API's routes. Answers are JSON; errors are {"error": "..."} with a status that says
// whose move it is (400 the request, 401 the token, 404 the name, 429/503 try later).

#include "api_routes.hpp"

#include <sluice/cassette.hpp>
#include <sluice/encoding.hpp>
#include <sluice/triggers.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>

namespace sluice::service {

namespace asio = boost::asio;

namespace {

// The longest ?wait= a request may ask for: past it, clients and proxies give up anyway.
constexpr int longest_wait_seconds = 300;
// An event stream that has been quiet this long gets a comment line, so that proxies and
// clients do not take it for dead.
constexpr std::chrono::seconds keep_alive_every{15};

ServerResponse json_response(int status, const Value& body) {
  return ServerResponse{status, "application/json", {}, body.to_json(), {}};
}

ServerResponse error_response(int status, std::string message) {
  return error_answer(status, std::move(message));
}

Value optional_time(const std::optional<SysMillis>& at) {
  return at ? Value(iso_ms(*at)) : Value();
}

std::optional<std::int64_t> integer(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

std::string method_text(const ServerRequest& request) {
  return request.method + " " + std::string(request.path());
}

// "/v1/runs/ID/cancel" -> {"v1", "runs", "ID", "cancel"}
std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const std::size_t slash = path.find('/');
    parts.push_back(percent_decode(path.substr(0, slash)));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return parts;
}

} // namespace

std::map<std::string, std::string, std::less<>> query_parameters(std::string_view query) {
  std::map<std::string, std::string, std::less<>> parameters;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    parameters[percent_decode(pair.substr(0, eq), true)] =
        eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
  }
  return parameters;
}

ServerResponse error_answer(int status, std::string error) {
  return json_response(status, Object{{"error", std::move(error)}});
}

std::variant<std::chrono::seconds, ServerResponse> wait_parameter(const ServerRequest& request) {
  const auto parameters = query_parameters(request.query());
  const auto wait = parameters.find("wait");
  if (wait == parameters.end())
    return std::chrono::seconds(0);
  const auto seconds = integer(wait->second);
  if (!seconds || *seconds < 0 || *seconds > longest_wait_seconds)
    return error_answer(400, "wait must be a number of seconds from 0 to " +
                                 std::to_string(longest_wait_seconds));
  return std::chrono::seconds(*seconds);
}

namespace {

ServerResponse refusal_answer(const Refusal& refusal) {
  switch (refusal.why) {
  case Refusal::Why::unknown_pipeline:
    return error_answer(404, refusal.message);
  case Refusal::Why::full: {
    ServerResponse answer = error_answer(429, refusal.message);
    answer.headers.push_back({"Retry-After", "5"});
    return answer;
  }
  case Refusal::Why::queue_full:
  case Refusal::Why::stopping:
    break;
  }
  ServerResponse answer = error_answer(503, refusal.message);
  answer.headers.push_back({"Retry-After", "5"});
  return answer;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

// A run without a feed here (a shared queue's worker runs it, maybe in another process): its
// record, looked at with growing pauses (10 ms to 200 ms), once it has ended or `wait` passed.
asio::awaitable<std::optional<StoredRun>> ended_within(RunStore& store, const std::string& id,
                                                       std::chrono::seconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::chrono::milliseconds pause(10);
  for (;;) {
    std::optional<StoredRun> run = store.find(id);
    if (!run || is_final(run->status))
      co_return run;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      co_return std::nullopt;
    co_await sleep_for(std::min(pause, left));
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
}

asio::awaitable<ServerResponse> accepted_run_answer(Dispatcher& dispatcher, RunStore& store,
                                                    StoredRun accepted, std::chrono::seconds wait) {
  const std::string id = accepted.id;
  std::optional<StoredRun> stored = std::move(accepted);
  if (wait.count() > 0) {
    // The feed knows how the run ended once the store has it: no need to read it back.
    std::optional<StoredRun> ended;
    if (std::shared_ptr<RunFeed> feed = dispatcher.feed(id)) {
      if (co_await feed->closed_within(wait))
        ended = feed->ended(*stored);
    } else
      ended = co_await ended_within(store, id, wait);
    stored = ended ? std::move(ended) : store.find(id);
  }
  if (!stored)
    co_return error_answer(500, "the run was accepted but cannot be read back");
  // Without a wait the answer is "accepted" whatever the run did meanwhile: a client that did
  // not ask to wait gets one status, not a race between the run and the answer.
  const bool ended = wait.count() > 0 && is_final(stored->status);
  ServerResponse response = json_response(ended ? 200 : 202, run_json(*stored));
  response.headers.push_back({"Location", "/v1/runs/" + id});
  co_return response;
}

} // namespace

asio::awaitable<ServerResponse> submit_and_answer(Dispatcher& dispatcher, RunStore& store,
                                                  NewRun run, std::chrono::seconds wait) {
  std::variant<StoredRun, Refusal> outcome;
  std::optional<ServerResponse> bad_inputs;
  try {
    outcome = co_await dispatcher.async_submit(std::move(run));
  } catch (const InputError& e) {
    bad_inputs = error_answer(400, e.what()); // no co_return inside a handler
  }
  if (bad_inputs)
    co_return *bad_inputs;
  if (const auto* refusal = std::get_if<Refusal>(&outcome))
    co_return refusal_answer(*refusal);
  co_return co_await accepted_run_answer(dispatcher, store, std::get<StoredRun>(std::move(outcome)),
                                         wait);
}

Value run_json(const StoredRun& run) {
  Object out{{"id", run.id},
             {"pipeline", run.pipeline},
             {"pipeline_hash", run.pipeline_hash},
             {"trigger", run.trigger},
             {"status", std::string(to_string(run.status))},
             {"inputs", run.inputs},
             {"outputs", run.outputs},
             {"nodes", run.nodes},
             {"error", run.error.empty() ? Value() : Value(run.error)},
             {"cancel_requested", run.cancel_requested},
             {"rerun_of", run.rerun_of.empty() ? Value() : Value(run.rerun_of)},
             {"accepted_at", iso_ms(run.accepted_at)},
             {"started_at", optional_time(run.started_at)},
             {"finished_at", optional_time(run.finished_at)}};
  if (run.fire)
    out.emplace_back("fire_time", to_iso8601(run.fire->at));
  return Value(std::move(out));
}

ApiRoutes::ApiRoutes(Dispatcher& dispatcher, RunStore& store, Metrics& metrics,
                     std::shared_ptr<const Catalog> catalog, const std::atomic<bool>& ready,
                     Webhooks& webhooks)
    : dispatcher_(dispatcher), store_(store), metrics_(metrics), catalog_(std::move(catalog)),
      ready_(ready), webhooks_(webhooks) {
}

void ApiRoutes::serve(std::shared_ptr<const Catalog> catalog) {
  std::lock_guard lock(mutex_);
  catalog_ = std::move(catalog);
}

std::shared_ptr<const Catalog> ApiRoutes::catalog() const {
  std::lock_guard lock(mutex_);
  return catalog_;
}

std::optional<ServerResponse> ApiRoutes::refuse_unauthenticated(const ServerRequest& request) {
  const std::string_view authorization = request.header("Authorization");
  constexpr std::string_view scheme = "Bearer ";
  std::optional<std::string> name;
  if (authorization.size() > scheme.size() && authorization.substr(0, scheme.size()) == scheme)
    name = store_.token_name(sha256_hex(authorization.substr(scheme.size())));
  if (name)
    return std::nullopt;
  ServerResponse refusal = error_response(
      401, authorization.empty()
               ? "this API needs a token: send 'Authorization: Bearer TOKEN' (create one with "
                 "sluice tokens create NAME)"
               : "the token is not known (it was deleted, or belongs to another server)");
  refusal.headers.push_back({"WWW-Authenticate", "Bearer"});
  return refusal;
}

asio::awaitable<ServerResponse> ApiRoutes::handle(ServerRequest request) {
  const std::vector<std::string> path = segments(request.path());
  const std::string_view method = request.method;
  if (path.size() == 1 && path[0] == "healthz")
    co_return json_response(200, Object{{"status", "ok"}});
  if (path.size() == 1 && path[0] == "readyz") {
    if (!ready_)
      co_return error_response(503, "not ready: starting or shutting down");
    if (!store_.reachable())
      co_return error_response(503, "not ready: the run store cannot be reached (trying again)");
    co_return json_response(200, Object{{"status", "ready"}});
  }
  if (auto delivery = webhooks_.handle(request))
    co_return co_await std::move(*delivery);
  const bool metrics = path.size() == 1 && path[0] == "metrics";
  if (!metrics && (path.empty() || path[0] != "v1"))
    co_return error_response(404, "no such route: " + std::string(request.path()));
  if (auto refusal = refuse_unauthenticated(request))
    co_return *refusal;
  if (metrics)
    co_return ServerResponse{200,
                             "text/plain; version=0.0.4; charset=utf-8",
                             {},
                             metrics_.render(dispatcher_.gauges()),
                             {}};

  if (path.size() == 2 && path[1] == "pipelines" && method == "GET")
    co_return list_pipelines();
  if (path.size() == 4 && path[1] == "pipelines" && path[3] == "runs" && method == "POST")
    co_return co_await start_run(request, path[2]);
  if (path.size() == 2 && path[1] == "runs" && method == "GET")
    co_return list_runs(request);
  if (path.size() == 3 && path[1] == "runs" && method == "GET") {
    const auto run = store_.find(path[2]);
    co_return run ? json_response(200, run_json(*run))
                  : error_response(404, "no run with id '" + path[2] + "'");
  }
  if (path.size() == 4 && path[1] == "runs" && path[3] == "events" && method == "GET")
    co_return run_events(request, path[2]);
  if (path.size() == 4 && path[1] == "runs" && path[3] == "cancel" && method == "POST") {
    const auto status = dispatcher_.cancel(path[2]);
    if (!status)
      co_return error_response(404, "no run with id '" + path[2] + "'");
    co_return json_response(200,
                            Object{{"id", path[2]}, {"status", std::string(to_string(*status))}});
  }
  co_return error_response(404, "no such route: " + method_text(request));
}

ServerResponse ApiRoutes::run_events(const ServerRequest& request, const std::string& id) {
  // Ids are positions in the run's events: a client that reconnects with Last-Event-ID gets
  // what follows it.
  std::size_t from = 0;
  if (const auto last = integer(request.header("Last-Event-ID")); last && *last >= 0)
    from = static_cast<std::size_t>(*last) + 1;
  std::shared_ptr<RunFeed> feed = dispatcher_.feed(id);
  auto stored = std::make_shared<std::vector<std::string>>();
  // Going on elsewhere (a shared queue's worker): its events are sent once it has ended.
  bool elsewhere = false;
  if (!feed) {
    // Ended (the feed closes only after the store has its events), or not run here.
    const std::optional<StoredRun> run = store_.find(id);
    if (!run)
      return error_response(404, "no run with id '" + id + "'");
    if (is_final(run->status))
      *stored = store_.events(id);
    else
      elsewhere = true;
  }
  ServerResponse response;
  response.content_type = "text/event-stream";
  response.stream = [feed, stored, next = from, done = false, elsewhere, id,
                     store = &store_]() mutable -> asio::awaitable<std::optional<std::string>> {
    if (done)
      co_return std::nullopt;
    std::string out;
    if (elsewhere) {
      const auto ended = co_await ended_within(*store, id, keep_alive_every);
      if (!ended)
        co_return std::string(": still running\n\n");
      *stored = store->events(id);
      elsewhere = false;
    }
    if (!feed) {
      for (; next < stored->size(); ++next)
        out += sse_message(next, (*stored)[next]);
      done = true;
      co_return out;
    }
    RunFeed::Slice slice = co_await feed->next(next, keep_alive_every);
    for (const std::string& event : slice.events)
      out += sse_message(next++, event);
    done = slice.closed;
    if (out.empty() && !done)
      out = ": still running\n\n";
    co_return out;
  };
  return response;
}

asio::awaitable<ServerResponse> ApiRoutes::start_run(const ServerRequest& request,
                                                     const std::string& pipeline) {
  if (!catalog()->pipelines.contains(pipeline))
    co_return error_response(404, "no pipeline named '" + pipeline + "' is served");
  Value inputs = Value(Object{});
  if (!request.body.empty()) {
    Value body;
    try {
      body = Value::parse_json(request.body);
    } catch (const std::exception& e) {
      co_return error_response(400, std::string("the body is not JSON: ") + e.what());
    }
    if (!body.is_object() || (body.find("inputs") && !body["inputs"].is_object()))
      co_return error_response(400, R"(the body must be {"inputs": {...}})");
    for (const auto& [key, value] : body.as_object())
      if (key != "inputs")
        co_return error_response(400,
                                 "unknown field '" + key + R"(' (the body is {"inputs": {...}}))");
    if (const Value* given = body.find("inputs"))
      inputs = *given;
  }
  const auto wait = wait_parameter(request);
  if (const auto* refusal = std::get_if<ServerResponse>(&wait))
    co_return *refusal;
  NewRun run;
  run.pipeline = pipeline;
  run.trigger = "api";
  run.inputs = std::move(inputs);
  co_return co_await submit_and_answer(dispatcher_, store_, std::move(run),
                                       std::get<std::chrono::seconds>(wait));
}

ServerResponse ApiRoutes::list_runs(const ServerRequest& request) {
  const auto parameters = query_parameters(request.query());
  RunQuery query;
  if (auto p = parameters.find("pipeline"); p != parameters.end())
    query.pipeline = p->second;
  if (auto s = parameters.find("status"); s != parameters.end() && !s->second.empty()) {
    query.status = stored_run_status_from(s->second);
    if (!query.status)
      return error_response(400, "unknown status '" + s->second +
                                     "' (queued, running, succeeded, failed, cancelled, "
                                     "interrupted, skipped)");
  }
  if (auto l = parameters.find("limit"); l != parameters.end()) {
    const auto limit = integer(l->second);
    if (!limit || *limit < 1 || *limit > 500)
      return error_response(400, "limit must be a number from 1 to 500");
    query.limit = static_cast<std::size_t>(*limit);
  }
  if (auto c = parameters.find("cursor"); c != parameters.end()) {
    query.before = integer(c->second);
    if (!query.before)
      return error_response(400, "cursor must be a next_cursor from a previous page");
  }
  const RunPage page = store_.list(query);
  Array runs;
  for (const StoredRun& run : page.runs)
    runs.push_back(run_json(run));
  return json_response(
      200, Object{{"runs", Value(std::move(runs))},
                  {"next_cursor",
                   page.next_cursor ? Value(std::to_string(*page.next_cursor)) : Value()}});
}

ServerResponse ApiRoutes::list_pipelines() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const std::shared_ptr<const Catalog> served = catalog();
  Array list;
  for (const auto& [name, listing] : served->pipelines) {
    const Pipeline& pipeline = listing.served->pipeline;
    Array schedules;
    for (const ScheduleTrigger& trigger : pipeline.triggers().schedules) {
      const auto next = trigger.schedule.next_after(now);
      schedules.push_back(Object{{"cron", trigger.schedule.cron()},
                                 {"timezone", trigger.schedule.time_zone()},
                                 {"next", next ? Value(to_iso8601(*next)) : Value()}});
    }
    Array webhooks;
    for (const WebhookTrigger& trigger : pipeline.triggers().webhooks)
      webhooks.push_back(Value(trigger.path));
    RunQuery last;
    last.pipeline = name;
    last.limit = 1;
    const RunPage page = store_.list(last);
    list.push_back(Object{
        {"name", name},
        {"file", listing.file},
        {"hash", listing.served->hash},
        {"schedules", Value(std::move(schedules))},
        {"webhooks", Value(std::move(webhooks))},
        {"reload_error", listing.reload_error.empty() ? Value() : Value(listing.reload_error)},
        {"last_run", page.runs.empty() ? Value() : run_json(page.runs.front())}});
  }
  Array broken;
  for (const auto& [file, error] : served->broken_files)
    broken.push_back(Object{{"file", file}, {"error", error}});
  return json_response(200, Object{{"pipelines", Value(std::move(list))},
                                   {"broken_files", Value(std::move(broken))}});
}

} // namespace sluice::service
