// A dry run holds back at the HTTP seam whatever could change something, and keeps it for the
// plan; nodes whose type cannot show what it would do are refused before they start.

#include "dry_run.hpp"

#include <sluice/ascii.hpp>

#include <algorithm>

namespace sluice::detail {

namespace {

// The reason a held request's node is given: it ends the node's attempt, and the run state
// turns the node's failure into `planned`.
constexpr const char* held_reason = "a dry run does not send it";

// RFC 9110's safe methods: the ones defined to change nothing on the server. PUT is idempotent
// but not safe, so it is held back too.
bool safe_method(std::string_view method) noexcept {
  return ascii::iequals(method, "GET") || ascii::iequals(method, "HEAD") ||
         ascii::iequals(method, "OPTIONS");
}

} // namespace

std::optional<std::string> dry_run_refusal(DryRun mode, Reach reach, bool side_effects) {
  if (mode == DryRun::off)
    return std::nullopt;
  if (side_effects && reach != Reach::http_only)
    return "would run (effects not described): the node changes something and its type "
           "cannot show what in a dry run";
  if (mode == DryRun::offline && reach == Reach::unknown)
    return "not run offline: its type does not say whether it reaches the network";
  return std::nullopt;
}

DryRunGuard::DryRunGuard(DryRun mode, std::shared_ptr<HttpInterceptor> next)
    : mode_(mode), next_(std::move(next)) {
}

bool DryRunGuard::holds(const HttpRequest& request) const noexcept {
  if (mode_ == DryRun::offline)
    return true;
  return !safe_method(request.method) && !request.obtains_credentials;
}

HttpDecision DryRunGuard::before_send(const HttpExchange& exchange) {
  if (holds(exchange.request)) {
    std::lock_guard lock(mutex_);
    planned_.push_back(PlannedRequest{exchange.node, exchange.index, exchange.request});
    return HttpDecision::refuse(held_reason);
  }
  return next_ ? next_->before_send(exchange) : HttpDecision::send();
}

void DryRunGuard::after_receive(const HttpExchange& exchange, const HttpResponse& response) {
  if (next_)
    next_->after_receive(exchange, response);
}

void DryRunGuard::after_failure(const HttpExchange& exchange, const std::string& message) {
  // The caller's interceptor never saw a request this guard held back.
  if (next_ && !held(exchange.node, exchange.index))
    next_->after_failure(exchange, message);
}

bool DryRunGuard::held(std::string_view node, std::int64_t index) const {
  std::lock_guard lock(mutex_);
  return std::any_of(planned_.begin(), planned_.end(), [&](const PlannedRequest& planned) {
    return planned.node == node && (index < 0 || planned.index == index);
  });
}

std::string DryRunGuard::describe(std::string_view node) const {
  std::lock_guard lock(mutex_);
  std::string first;
  std::size_t count = 0;
  for (const PlannedRequest& planned : planned_) {
    if (planned.node != node)
      continue;
    if (count++ == 0)
      first = planned.request.method + " " + planned.request.url;
  }
  std::string text = "would send ";
  text += first;
  if (count > 1) {
    text += " and ";
    text += std::to_string(count - 1);
    text += count == 2 ? " more request" : " more requests";
  }
  return text;
}

std::vector<PlannedRequest> DryRunGuard::take_planned() {
  std::lock_guard lock(mutex_);
  return std::move(planned_);
}

} // namespace sluice::detail
