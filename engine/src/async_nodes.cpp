// Owns the nodes that wait (async types, retries, timeouts, for_each): each runs as a
// coroutine on a worker's loop, and its completion settles it and drains its successors.

#include "run_state.hpp"

#include "limit_text.hpp"

#include <sluice/detail/approximate_size.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>

namespace sluice::detail {

namespace asio = boost::asio;

namespace {

// A node coroutine in flight, raced against a deadline by its attempt.
struct Race {
  explicit Race(const Loop& loop) : wake(loop) {}
  asio::steady_timer wake;
  asio::cancellation_signal signal;
  bool done = false;
  std::exception_ptr error;
  Value value;
};

} // namespace

void RunState::emit_element(std::uint32_t n, std::size_t index, const Outcome& outcome) {
  if (!observed_)
    return;
  Event e{outcome.ok ? EventKind::node_succeeded : EventKind::node_failed,
          Clock::now(),
          plan_.nodes[n].id,
          static_cast<std::int64_t>(index),
          outcome.attempts,
          outcome.message};
  e.category = outcome.category;
  if (outcome.ok)
    e.output = &outcome.value;
  emit(e);
}

void RunState::spawn_async(std::uint32_t n) {
  // A worker in turn: the node's coroutine, its timers and sockets stay there until it ends.
  auto invocation = std::make_shared<Invocation>(setup_.workers->next(), *setup_.workers);
  {
    std::lock_guard lock(mutex_);
    active_.emplace(n, invocation);
    if (cancelling())
      invocation->cancel_requested = true;
  }
  // Posted, never dispatched: starting inline from a drain would nest drains (and the
  // stack) when a coroutine completes without suspending.
  asio::post(invocation->loop, [self = shared_from_this(), n, invocation] {
    asio::co_spawn(invocation->loop, self->run_async_node(self, n, invocation), asio::detached);
  });
}

// `self` keeps the run alive while the coroutine is suspended.
asio::awaitable<void> RunState::run_async_node([[maybe_unused]] std::shared_ptr<RunState> self,
                                               std::uint32_t n,
                                               std::shared_ptr<Invocation> invocation) {
  const PlanNode& node = plan_.nodes[n];
  nodes_[n].started = stamp();
  Outcome outcome;
  if (node.extra().for_each) {
    Value list;
    try {
      list = node.extra().for_each->eval(scope(nullptr, -1));
    } catch (const std::exception& e) {
      outcome = failure(ErrorCategory::invalid_input,
                        std::string("cannot evaluate 'for_each': ") + e.what());
    }
    if (!list.is_array() && outcome.message.empty())
      outcome = failure(ErrorCategory::invalid_input, "'for_each' must evaluate to a list, got " +
                                                          std::string(to_string(list.type())));
    else if (list.is_array() && list.size() > setup_.limits.for_each_items)
      outcome = failure(limit_breach, too_many_items(list.size(), setup_.limits.for_each_items));
    else if (list.is_array())
      outcome = co_await run_items(n, *invocation, list);
  } else {
    outcome = co_await run_with_retries(n, *invocation, Value(), -1);
  }
  {
    std::lock_guard lock(mutex_);
    active_.erase(n);
  }
  if (invocation->cancel_requested && !outcome.ok && cancelling())
    outcome.category = outcome.category == ErrorCategory::timeout ? ErrorCategory::timeout
                                                                  : ErrorCategory::cancelled;
  Stack stack;
  settle_outcome(n, std::move(outcome), stack);
  drain(stack);
}

// Runs every element of a for_each list, at most `concurrency` at a time, and gathers the
// outputs in input order. The first element to fail cancels the others.
//
// All on the node's loop, one worker. Spreading the element loops over the workers (a lane
// per worker, sharing the outcomes under a mutex) was measured and taken out: 20,000
// http.request calls at concurrency 32 went from 55,000-57,000 calls/s to 48,000-50,000 (the
// process used more CPU on a machine the server shares), zoom.get_meeting was unchanged, and
// a for_each of 20,000 core.template elements took 70 ms instead of 45.
asio::awaitable<Outcome> RunState::run_items(std::uint32_t n, Invocation& invocation,
                                             const Value& list) {
  const PlanNode& node = plan_.nodes[n];
  const auto items = list.as_array();
  const std::size_t count = items.size();
  if (count == 0)
    co_return success(Value(Array{}));
  const std::size_t workers = node.extra().concurrency == 0
                                  ? count
                                  : std::min<std::size_t>(node.extra().concurrency, count);

  struct Gather {
    std::vector<Outcome> outcomes;
    std::size_t next = 0;
    std::size_t running = 0;
    std::optional<std::size_t> failed; // the element whose failure fails the node
    std::size_t output_bytes = 0;      // of the elements' outputs so far (Limits::output_bytes)
  };
  auto gather = std::make_shared<Gather>();
  gather->outcomes.resize(count);
  asio::steady_timer all_done(invocation.loop, asio::steady_timer::time_point::max());

  auto self = shared_from_this();
  for (std::size_t w = 0; w < workers; ++w) {
    ++gather->running;
    asio::co_spawn(
        invocation.loop,
        [self, n, &invocation, list, gather, &all_done]() -> asio::awaitable<void> {
          const auto elements = list.as_array();
          while (gather->next < elements.size() && !gather->failed &&
                 !invocation.cancel_requested) {
            const std::size_t i = gather->next++;
            Outcome o = co_await self->run_with_retries(n, invocation, elements[i],
                                                        static_cast<std::int64_t>(i));
            if (o.ok) {
              // The elements' outputs become one list: they are measured together.
              const std::size_t limit = self->setup_.limits.output_bytes;
              const std::size_t room = limit - std::min(gather->output_bytes, limit);
              const std::size_t size = approximate_size(o.value);
              if (size > room)
                o = failure(limit_breach, output_too_large(/*elements=*/true, limit));
              else
                gather->output_bytes += size;
            }
            // A dry run goes on past an element it held back, to show what every element
            // would send; the node is settled as planned.
            if (!o.ok && self->setup_.dry_run &&
                self->setup_.dry_run->held(self->plan_.nodes[n].id, static_cast<std::int64_t>(i)))
                [[unlikely]]
              o = success(Value());
            self->emit_element(n, i, o);
            if (!o.ok && !gather->failed && !invocation.cancel_requested) {
              gather->failed = i;
              o.message = "element " + std::to_string(i) + ": " + o.message;
              invocation.cancel_all(); // the node fails: stop the siblings
            }
            gather->outcomes[i] = std::move(o);
          }
          if (--gather->running == 0)
            all_done.cancel();
        },
        asio::detached);
  }
  if (gather->running > 0)
    co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));

  Array outputs;
  outputs.reserve(count);
  std::uint32_t attempts = 0;
  for (const Outcome& o : gather->outcomes) {
    attempts = std::max(attempts, o.attempts);
    outputs.push_back(o.value);
  }
  if (gather->failed) {
    Outcome failed = gather->outcomes[*gather->failed];
    failed.attempts = attempts;
    co_return failed;
  }
  if (invocation.cancel_requested)
    co_return failure(ErrorCategory::cancelled, "cancelled");
  Outcome done = success(Value(std::move(outputs)));
  done.attempts = attempts;
  co_return done;
}

asio::awaitable<Outcome> RunState::run_with_retries(std::uint32_t n, Invocation& invocation,
                                                    Value item, std::int64_t index) {
  const PlanNode& node = plan_.nodes[n];
  // A node that may have run before (RunOptions::repeated) starts as a repeat.
  const std::uint32_t first = !repeated_.empty() && repeated_[n] ? 2 : 1;
  for (std::uint32_t attempt = first;; ++attempt) {
    Outcome outcome = co_await run_attempt(n, invocation, item, index, attempt);
    outcome.attempts = attempt;
    {
      NodeResult& record = nodes_[n];
      record.attempts = std::max(record.attempts, attempt);
    }
    if (outcome.ok || invocation.cancel_requested || cancelling())
      co_return outcome;
    if (!is_retryable(outcome.category) || attempt >= node.extra().retry.attempts)
      co_return outcome;
    // A second attempt would only be held back again, or run on the same stand-ins.
    if (setup_.dry_run &&
        (setup_.dry_run->held(node.id, index) || setup_.dry_run->tainted(node.id))) [[unlikely]]
      co_return outcome;
    // An action that is not idempotent may have taken effect before it failed; only a
    // rate-limit refusal is known to have done nothing.
    if (!node.type->spec.idempotent && outcome.category != ErrorCategory::rate_limited) {
      outcome.message += " (not retried: " + node.type->spec.type +
                         " is not idempotent and may have taken effect)";
      co_return outcome;
    }
    std::chrono::milliseconds delay = backoff_delay(node.extra().retry, attempt);
    if (outcome.category == ErrorCategory::rate_limited && outcome.retry_after)
      delay = *outcome.retry_after;
    if (observed_) {
      const std::string message = outcome.message + "; retrying in " + format_ms(delay);
      Event e{EventKind::node_retrying, Clock::now(), node.id, index, attempt, message};
      e.category = outcome.category;
      e.delay = delay;
      emit(e);
    }
    asio::steady_timer timer(invocation.loop, delay);
    invocation.waits.push_back(&timer);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::erase(invocation.waits, &timer);
    if (invocation.cancel_requested || cancelling())
      co_return failure(ErrorCategory::cancelled, "cancelled while waiting to retry");
  }
}

asio::awaitable<Outcome> RunState::run_attempt(std::uint32_t n, Invocation& invocation,
                                               const Value& item, std::int64_t index,
                                               std::uint32_t attempt) {
  const PlanNode& node = plan_.nodes[n];
  SettingVector values(node.setting_count);
  if (!resolve_settings(plan_.nodes[n], index >= 0 ? &item : nullptr, index, values))
    co_return failure(ErrorCategory::invalid_input, settings_problem(n, values.values()));
  auto owned = std::make_shared<OwnedContext>(*this, n, std::move(values).take(), item, index,
                                              static_cast<int>(attempt), &invocation);
  emit_node(EventKind::node_started, n, {}, attempt, index);

  if (node.type->run_sync) {
    Value output;
    try {
      output = node.type->run_sync(owned->context);
    } catch (...) {
      co_return classify(std::current_exception());
    }
    co_return checked_success(std::move(output), index);
  }

  auto race = std::make_shared<Race>(invocation.loop);
  asio::co_spawn(
      invocation.loop,
      // Holds the run, the invocation and the context: an abandoned node may outlive both
      // the attempt and the run.
      [type = node.type, owned, self = shared_from_this(), keep = invocation.shared_from_this()]()
          -> asio::awaitable<Value> { co_return co_await type->run_async(owned->context); },
      asio::bind_cancellation_slot(race->signal.slot(),
                                   [race](std::exception_ptr error, Value value) {
                                     race->done = true;
                                     race->error = error;
                                     race->value = std::move(value);
                                     race->wake.cancel();
                                   }));

  const std::optional<std::chrono::milliseconds>& timeout = node.extra().timeout;
  const auto deadline = timeout ? Clock::now() + *timeout : asio::steady_timer::time_point::max();
  invocation.waits.push_back(&race->wake);
  bool timed_out = false;
  bool abandoned = false;
  if (!race->done && !invocation.cancel_requested) {
    race->wake.expires_at(deadline);
    co_await race->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (!race->done) {
    timed_out = !invocation.cancel_requested;
    race->signal.emit(asio::cancellation_type::terminal);
    // Bounded grace: a node that ignores cancellation is abandoned, not waited for. Later
    // wake-ups (another cancellation) do not shorten the grace period.
    const auto grace_end = Clock::now() + setup_.options.cancel_grace;
    while (!race->done && Clock::now() < grace_end) {
      race->wake.expires_at(grace_end);
      co_await race->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    abandoned = !race->done;
  }
  std::erase(invocation.waits, &race->wake);

  if (abandoned) {
    if (setup_.abandoned_nodes)
      setup_.abandoned_nodes->fetch_add(1, std::memory_order_relaxed);
    std::string why = timed_out ? "timed out after " + format_ms(*timeout) : "cancelled";
    co_return failure(timed_out ? ErrorCategory::timeout : ErrorCategory::cancelled,
                      why + " and did not stop within " + format_ms(setup_.options.cancel_grace) +
                          "; abandoned");
  }
  if (timed_out)
    co_return failure(ErrorCategory::timeout, "timed out after " + format_ms(*timeout));
  if (race->error)
    co_return classify(race->error);
  co_return checked_success(std::move(race->value), index);
}

Outcome RunState::checked_success(Value output, std::int64_t index) const {
  if (index < 0 && larger_than(output, setup_.limits.output_bytes))
    return failure(limit_breach, output_too_large(/*elements=*/false, setup_.limits.output_bytes));
  return success(std::move(output));
}

} // namespace sluice::detail
