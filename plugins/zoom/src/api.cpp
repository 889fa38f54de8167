// Sending a node's Zoom API calls: a token kept fresh and shared within the process, requests
// paced under Zoom's per-second limits (docs/zoom-api.md §4), and retries only where repeating
// a request cannot duplicate its effect.

#include "api.hpp"

#include "endpoints.hpp"
#include "oauth.hpp"

#include <sluice/rate_limit.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>

namespace sluice::zoom {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// A coroutine waiting for another's refresh: woken on its own executor by a post that cancels
// its timer, so the timer is only ever touched there.
struct RefreshWaiter {
  explicit RefreshWaiter(const asio::any_io_executor& executor)
      : timer(executor, Clock::time_point::max()) {}
  asio::steady_timer timer;
};

// What the process knows about one connection between node runs. Node runs on different
// threads share it: every field is read and written under `mutex`, never across a co_await
// (the pacer has a lock of its own).
struct SharedState {
  std::mutex mutex;
  std::optional<Connection> cached; // the last connection read or refreshed
  // True while one coroutine refreshes; the others queue in `waiters` and are woken when it
  // ends, whichever way.
  bool refreshing = false;
  std::vector<std::shared_ptr<RefreshWaiter>> waiters;
  RatePacer pacer; // this connection's requests, within Zoom's per-second limits
  Clock::time_point last_use_recorded{};
};

SharedState& shared_state(CredentialStore& store, const std::string& name) {
  static std::mutex states_mutex;
  static auto* states = new std::map<std::pair<CredentialStore*, std::string>, SharedState>();
  std::lock_guard lock(states_mutex);
  return (*states)[{&store, name}]; // std::map: the reference stays valid
}

// Ends a refresh: wakes everyone waiting for it. Call with the state's mutex held.
void end_refresh(SharedState& state) {
  state.refreshing = false;
  for (std::shared_ptr<RefreshWaiter>& waiter : state.waiters)
    asio::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
  state.waiters.clear();
}

void throw_if_cancelled(const asio::cancellation_state& state) {
  if (state.cancelled() != asio::cancellation_type::none)
    throw boost::system::system_error(asio::error::operation_aborted);
}

milliseconds jittered(milliseconds base) {
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> extra(0, base.count() / 4 + 1);
  return base + milliseconds(extra(random));
}

milliseconds backoff_for(int attempt, const ApiPolicy& policy) {
  const auto base = policy.backoff * (1LL << std::min(attempt, 16));
  return jittered(std::min<milliseconds>(base, policy.max_backoff));
}

asio::awaitable<void> sleep_until(Clock::time_point when) {
  if (when <= Clock::now())
    co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, when);
  co_await timer.async_wait(asio::use_awaitable); // throws when the run is cancelled
}

NodeError credential_failure(const CredentialError& e, const std::string& connection) {
  using Kind = CredentialError::Kind;
  switch (e.kind()) {
  case Kind::not_found:
    return NodeError(ErrorCategory::invalid_input, e.what(),
                     "See: sluice connections list; add one with: sluice connect zoom --name " +
                         connection + " ...");
  case Kind::needs_reauthorisation:
    return NodeError(ErrorCategory::permission, e.what(),
                     "Run: sluice connect zoom --reconnect --name " + connection);
  case Kind::busy:
  case Kind::conflict:
    return NodeError(ErrorCategory::transient, e.what());
  default:
    return NodeError(ErrorCategory::invalid_input, e.what());
  }
}

// "1.5 s": a duration for messages.
std::string seconds_text(milliseconds duration) {
  const auto tenths = (duration.count() + 50) / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") +
         " s";
}

} // namespace

ApiPolicy ApiPolicy::from_environment() {
  ApiPolicy policy;
  if (const char* text = std::getenv("SLUICE_ZOOM_CALL_DEADLINE")) {
    double seconds = 0;
    const char* end = text + std::strlen(text);
    const auto [ptr, ec] = std::from_chars(text, end, seconds);
    if (ec == std::errc() && ptr == end && seconds >= 0.1 && seconds <= 86'400)
      policy.deadline = milliseconds(static_cast<std::int64_t>(seconds * 1000));
  }
  return policy;
}

ApiRequest api_request(std::string method, std::string path_and_query, std::string action,
                       std::string scope, std::optional<Value> body, bool idempotent) {
  ApiRequest request;
  request.method = std::move(method);
  request.path_and_query = std::move(path_and_query);
  request.body = std::move(body);
  request.idempotent = idempotent;
  request.call.action = std::move(action);
  request.call.scope = std::move(scope);
  return request;
}

struct ZoomApi::TokenView {
  Secret access_token;
  std::int64_t version = 0;
  Endpoints endpoints;
};

ZoomApi::ZoomApi(Services services, CredentialStore& store, std::string connection,
                 ApiPolicy policy)
    : services_(std::move(services)), store_(store), connection_(std::move(connection)),
      policy_(policy) {
}

asio::awaitable<ZoomApi::TokenView> ZoomApi::token(std::optional<std::int64_t> rejected_version) {
  SharedState& state = shared_state(store_, connection_);
  const auto usable = [&](const Connection& c) {
    if (c.status != ConnectionStatus::healthy || c.access_token.empty())
      return false;
    if (rejected_version)
      return c.version != *rejected_version; // someone refreshed since the rejection
    return c.expires_at - std::chrono::system_clock::now() > policy_.refresh_margin;
  };
  const auto view = [](const Connection& c) {
    return TokenView{c.access_token, c.version, Endpoints::from_extra(c.extra)};
  };
  for (;;) {
    std::shared_ptr<RefreshWaiter> waiter;
    std::int64_t seen = -1;
    {
      std::lock_guard lock(state.mutex);
      if (state.cached && usable(*state.cached))
        co_return view(*state.cached);
      if (state.refreshing) { // another coroutine of this process is on it: wait for it
        seen = state.cached ? state.cached->version : -1;
        waiter = std::make_shared<RefreshWaiter>(co_await asio::this_coro::executor);
        state.waiters.push_back(waiter);
      } else {
        state.refreshing = true;
      }
    }
    if (waiter) {
      // The post that wakes us runs on this executor, after this wait has started.
      co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
      throw_if_cancelled(co_await asio::this_coro::cancellation_state);
      std::lock_guard lock(state.mutex);
      // Its result is as fresh as a token gets (even if Zoom's lifetime is shorter than
      // our margin); if it failed, we try (and report) ourselves.
      if (state.cached && state.cached->version != seen &&
          state.cached->status == ConnectionStatus::healthy)
        co_return view(*state.cached);
      continue;
    }

    const RefreshPolicy policy = rejected_version
                                     ? RefreshPolicy::after_rejection(*rejected_version)
                                     : RefreshPolicy::expiring_within(policy_.refresh_margin);
    std::optional<std::int64_t> before;
    {
      std::lock_guard lock(state.mutex);
      if (state.cached)
        before = state.cached->version;
    }
    Connection fresh;
    try {
      CredentialStore& store = store_;
      const std::string name = connection_;
      const Services services = services_;
      auto refresh = [&store, name, policy, services] {
        return store.refresh_under_lock_committing(
            name, policy,
            [&services](const Connection& c, const CredentialStore::CommitTokens& commit) {
              return renew_blocking(services, c, commit);
            });
      };
      fresh = co_await run_blocking(services_, refresh);
    } catch (const CredentialError& e) {
      std::lock_guard lock(state.mutex);
      state.cached.reset();
      end_refresh(state);
      throw credential_failure(e, connection_);
    } catch (...) {
      std::lock_guard lock(state.mutex);
      end_refresh(state);
      throw;
    }
    if (before && fresh.version != *before)
      notes.push_back("refreshed the access token of connection '" + connection_ + "'");
    std::lock_guard lock(state.mutex);
    state.cached = std::move(fresh);
    end_refresh(state);
    // Use what the refresh produced, without checking the margin again: a service whose
    // tokens live shorter than the margin would otherwise be refreshed forever.
    co_return view(*state.cached);
  }
}

asio::awaitable<ApiAnswer> ZoomApi::call(const ApiRequest& request_in) {
  ApiRequest request = request_in;
  request.call.connection = connection_;
  SharedState& state = shared_state(store_, connection_);
  std::optional<std::int64_t> rejected;
  int auth_refreshes = 0;
  int rate_waits = 0;
  int transport_retries = 0;
  bool lost_attempt = policy_.repeat;
  const Clock::time_point deadline = Clock::now() + policy_.deadline;
  const auto past_deadline = [&](Clock::time_point when) { return when >= deadline; };
  const auto deadline_error = [&](const std::string& last) {
    return NodeError(ErrorCategory::timeout,
                     "cannot " + request.call.action + " (connection '" + connection_ +
                         "'): gave up after " + seconds_text(policy_.deadline) +
                         ", the deadline of one Zoom call" + (last.empty() ? "" : "; last: ") +
                         last,
                     "Zoom or the network is not answering; try again later");
  };
  for (;;) {
    const TokenView token = co_await this->token(rejected);
    if (past_deadline(state.pacer.not_before()))
      throw deadline_error("");
    co_await state.pacer.wait_turn(request.rate_category);
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      throw deadline_error("");

    HttpRequest http_request = token.endpoints.request(
        request.method, token.endpoints.api_base_url + request.path_and_query);
    http_request.headers.push_back({"Authorization", "Bearer " + token.access_token.reveal()});
    http_request.secrets.push_back(token.access_token);
    http_request.connection = connection_;
    http_request.headers.push_back({"Accept", "application/json"});
    if (request.body) {
      http_request.headers.push_back({"Content-Type", "application/json"});
      http_request.body = request.body->to_json();
    }
    http_request.idempotent = request.idempotent;
    http_request.timeout = left;

    HttpResponse response;
    std::optional<HttpError> failed;
    try {
      response = co_await services_.http->send(std::move(http_request));
    } catch (const HttpError& e) {
      failed = e; // handled below: no co_await inside a handler
    } catch (const std::invalid_argument& e) {
      throw NodeError(ErrorCategory::invalid_input,
                      "connection '" + connection_ + "' cannot be used: " + e.what(),
                      "Fix its API URL with: sluice connect zoom --reconnect --name " +
                          connection_ + " --api-base-url URL");
    }
    if (failed) {
      const std::string what = "cannot " + request.call.action + " (connection '" + connection_ +
                               "'): " + failed->what();
      if (failed->stage() == HttpFailureStage::refused) // by the run's interceptor: never sent
        throw NodeError(ErrorCategory::permanent, what);
      if (failed->request_may_have_been_processed() && !request.idempotent)
        throw AmbiguousOutcome(what);
      lost_attempt = lost_attempt || failed->request_may_have_been_processed();
      // Too large for the client's limits, or not HTTP: another attempt cannot mend it.
      if (!failed->can_get_better())
        throw NodeError(ErrorCategory::permanent, what,
                        "Check the connection's API URL: it answers, but not as Zoom does");
      if (transport_retries < policy_.max_transport_retries) {
        const milliseconds wait = backoff_for(transport_retries++, policy_);
        if (past_deadline(Clock::now() + wait))
          throw deadline_error(failed->what());
        notes.push_back(what + "; retrying in " + std::to_string(wait.count()) + " ms");
        co_await sleep_until(Clock::now() + wait);
        continue;
      }
      throw NodeError(failed->timed_out() ? ErrorCategory::timeout : ErrorCategory::transient,
                      what);
    }
    state.pacer.learn(response, request.rate_category);
    lost_attempt = lost_attempt || response.resent;

    ApiAnswer answer;
    answer.status = response.status;
    answer.tracking_id = response.header("x-zm-trackingid");
    answer.retry_after = response.header("Retry-After");
    answer.rate_limit_type = response.header("X-RateLimit-Type");
    answer.after_lost_attempt = lost_attempt;
    if (!response.body.empty()) {
      try {
        answer.body = Value::parse_json(response.body);
      } catch (const std::exception&) {
        if (response.status < 300) {
          const std::string what = "cannot " + request.call.action + ": Zoom's answer (HTTP " +
                                   std::to_string(response.status) + ") is not valid JSON";
          // Zoom did what was asked and the answer was damaged on the way: for a create, as
          // good as lost (the caller reconciles), not a failure of a meeting that exists.
          if (!request.idempotent)
            throw AmbiguousOutcome(what);
          throw NodeError(ErrorCategory::transient, what);
        }
      }
    }

    if (answer.status == 401 && auth_refreshes++ == 0) {
      rejected = token.version; // refresh once (unless someone already has), then retry
      continue;
    }
    if (answer.status == 429 && answer.rate_limit_type != "Daily-limit" &&
        rate_waits < policy_.max_rate_limit_waits) {
      const auto asked = parse_retry_after(answer.retry_after, std::chrono::system_clock::now());
      const milliseconds wait =
          asked ? jittered(std::max(*asked, milliseconds(50))) : backoff_for(rate_waits, policy_);
      ++rate_waits;
      if (past_deadline(Clock::now() + wait))
        co_return answer; // the caller reports the 429, with Zoom's Retry-After
      state.pacer.hold_until(Clock::now() + wait);
      notes.push_back("Zoom rate limit (" +
                      (answer.rate_limit_type.empty() ? "429" : answer.rate_limit_type) +
                      "): waiting " + std::to_string(wait.count()) + " ms");
      continue;
    }
    if (answer.status >= 500) {
      if (!request.idempotent)
        throw AmbiguousOutcome("cannot " + request.call.action + ": Zoom answered HTTP " +
                               std::to_string(answer.status));
      lost_attempt = true; // a 5xx may come after the change was made
      if (transport_retries < policy_.max_transport_retries) {
        const milliseconds wait = backoff_for(transport_retries++, policy_);
        if (!past_deadline(Clock::now() + wait)) {
          co_await sleep_until(Clock::now() + wait);
          continue;
        }
      }
    }
    bool record_use = false;
    if (answer.status < 300) {
      std::lock_guard lock(state.mutex);
      record_use = Clock::now() - state.last_use_recorded > std::chrono::minutes(1);
      if (record_use)
        state.last_use_recorded = Clock::now();
    }
    if (record_use) {
      // For `sluice connections list`. A write transaction: at most once a minute, awaited
      // (the store belongs to the engine, which may go away once the run ends).
      try {
        auto record = [this] { store_.record_use(connection_); };
        co_await run_blocking(services_, record);
      } catch (const std::exception&) {
        // Bookkeeping only: a busy store must not fail the call.
      }
    }
    co_return answer;
  }
}

asio::awaitable<ApiAnswer> ZoomApi::call_ok(const ApiRequest& request) {
  const CallDescription call = request.call;
  ApiAnswer answer = co_await this->call(request);
  if (answer.status >= 300)
    throw error(answer, call);
  co_return answer;
}

NodeError ZoomApi::error(const ApiAnswer& answer, CallDescription call) const {
  call.connection = connection_;
  return error_for(answer, call, std::chrono::system_clock::now());
}

} // namespace sluice::zoom
