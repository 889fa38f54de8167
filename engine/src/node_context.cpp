// Owns NodeContext's answers to a node: its settings by name, its executor, cancellation, log
// lines and the connection store, each read from the run it belongs to.

#include "node_context.hpp"
#include "blocking_pool.hpp"
#include "credentials_source.hpp"
#include "http/intercepted_send.hpp"
#include "run_state.hpp"

#include <sluice/detail/same_key.hpp>

namespace sluice::detail {

std::string_view NodeContext::node_id() const noexcept {
  return run_.plan().nodes[node_].id;
}

const Value& NodeContext::setting(std::string_view name) const noexcept {
  const auto& specs = run_.plan().nodes[node_].type->spec.settings;
  for (std::size_t i = 0; i < specs.size(); ++i)
    if (same_key(specs[i].name, name))
      return settings_[i];
  return Value::null_value();
}

Value NodeContext::settings() const {
  const auto& specs = run_.plan().nodes[node_].type->spec.settings;
  Object members;
  members.reserve(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i)
    members.emplace_back(specs[i].name, settings_[i]);
  return Value(std::move(members));
}

boost::asio::any_io_executor NodeContext::executor() const {
  if (invocation_)
    return invocation_->loop;
  return run_.workers().here();
}

bool NodeContext::cancelled() const noexcept {
  return run_.cancelling() || (invocation_ && invocation_->cancel_requested);
}

void NodeContext::log(LogLevel level, std::string_view message) {
  run_.log(node_, index_, attempt_, level, message);
}

CredentialStore& NodeContext::credentials() {
  if (const auto& own = run_.options().credentials)
    return *own;
  CredentialsSource* source = run_.credentials();
  if (!source)
    throw CredentialError(CredentialError::Kind::unavailable,
                          "this run has no connection store (it was started without an engine)");
  return source->get();
}

HttpClient& NodeContext::http() {
  HttpClient* client = run_.http();
  if (!client)
    throw std::logic_error("this run has no HTTP client (it was started without an engine)");
  if (run_.http_interceptor())
    return *this;
  return *client;
}

// Not a coroutine: what it knows goes into send_intercepted's frame, the one a request needs.
boost::asio::awaitable<HttpResponse> NodeContext::send(HttpRequest request) {
  HttpExchange exchange;
  exchange.node = std::string(node_id());
  exchange.index = index_;
  exchange.attempt = attempt_;
  return http::send_intercepted(*run_.http(), *run_.http_interceptor(), std::move(exchange),
                                std::move(request));
}

std::optional<std::chrono::system_clock::time_point> NodeContext::earlier_attempt_started() const {
  if (attempt_ < 2)
    return std::nullopt; // a first attempt is never a repeat
  // A short list, read once per repeated node of a resumed run: no index needed.
  const std::string_view id = node_id();
  for (const RepeatedNode& repeated : run_.options().repeated)
    if (repeated.node == id)
      return repeated.started_at;
  return std::nullopt;
}

boost::asio::any_io_executor NodeContext::blocking_executor() {
  if (BlockingPool* pool = run_.blocking())
    return pool->executor();
  throw std::logic_error("this run has no blocking pool (it was started without an engine)");
}

} // namespace sluice::detail
