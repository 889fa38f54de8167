// Scripted misbehaviour (faults.hpp): parsing fault rules and deciding, per request,
// which one fires.

#include "faults.hpp"

#include "errors.hpp"

#include <sluice/value.hpp>

#include <map>

namespace sluice::zoom_emulator {

namespace {

std::optional<FaultKind> parse_kind(std::string_view name) {
  static const std::map<std::string_view, FaultKind> kinds = {
      {"latency", FaultKind::latency},
      {"status", FaultKind::status},
      {"rate_limit_storm", FaultKind::rate_limit_storm},
      {"close_before_processing", FaultKind::close_before_processing},
      {"close_after_processing", FaultKind::close_after_processing},
      {"partial_body", FaultKind::partial_body},
      {"not_http", FaultKind::not_http},
      {"slow_body", FaultKind::slow_body},
      {"malformed_json", FaultKind::malformed_json},
      {"expire_token", FaultKind::expire_token}};
  const auto found = kinds.find(name);
  return found == kinds.end() ? std::nullopt : std::optional(found->second);
}

std::optional<std::string> parse_rule(const Value& spec, FaultRule& rule) {
  if (!spec.is_object())
    return "each fault must be an object";
  if (!spec["kind"].is_string())
    return "fault.kind is required";
  const auto kind = parse_kind(spec["kind"].as_string());
  if (!kind)
    return "unknown fault kind: " + std::string(spec["kind"].as_string());
  rule.kind = *kind;
  if (spec["method"].is_string())
    rule.method = std::string(spec["method"].as_string());
  if (spec["path"].is_string())
    rule.path_prefix = std::string(spec["path"].as_string());
  if (spec["probability"].is_number())
    rule.probability = spec["probability"].as_double();
  if (spec["nth"].is_int())
    rule.nth = static_cast<std::uint64_t>(spec["nth"].as_int());
  if (spec["times"].is_int())
    rule.times = spec["times"].as_int();
  if (spec["ms"].is_int())
    rule.ms = static_cast<int>(spec["ms"].as_int());
  if (spec["status"].is_int())
    rule.status = static_cast<int>(spec["status"].as_int());
  rule.code = spec["code"].is_int() ? static_cast<int>(spec["code"].as_int()) : rule.status;
  if (spec["message"].is_string())
    rule.message = std::string(spec["message"].as_string());
  if (rule.probability < 0 || rule.probability > 1)
    return "fault.probability must be within [0, 1]";
  return std::nullopt;
}

Response storm_answer() {
  Response response = zoom_error(
      429, code::rate_limited,
      "You have reached the maximum per-second rate limit for this API. Try again later.");
  response.set_header("X-RateLimit-Category", "Light");
  response.set_header("X-RateLimit-Type", "QPS");
  response.set_header("X-RateLimit-Limit", "0");
  response.set_header("X-RateLimit-Remaining", "0");
  response.set_header("Retry-After", "1");
  return response;
}

} // namespace

std::optional<std::string> FaultInjector::configure(const std::string& json) {
  Value spec;
  try {
    spec = Value::parse_json(json);
  } catch (const JsonError& error) {
    return std::string("invalid JSON: ") + error.what();
  }
  const Value& list = spec.is_object() ? spec["faults"] : spec;
  if (!list.is_array())
    return "expected {\"faults\": [...]}";
  std::vector<FaultRule> rules;
  for (const Value& item : list.as_array()) {
    FaultRule rule;
    if (auto error = parse_rule(item, rule))
      return error;
    rules.push_back(std::move(rule));
  }
  rules_ = std::move(rules);
  return std::nullopt;
}

std::optional<FaultAction> FaultInjector::before(const Request& request) {
  std::optional<FaultAction> action;
  for (FaultRule& rule : rules_) {
    if (!rule.method.empty() && rule.method != request.method)
      continue;
    if (!rule.path_prefix.empty() && !request.path.starts_with(rule.path_prefix))
      continue;
    ++rule.matched;
    if (rule.times == 0)
      continue;
    const bool fires =
        rule.nth > 0 ? rule.matched == rule.nth
                     : std::uniform_real_distribution<double>(0.0, 1.0)(random_) < rule.probability;
    if (!fires)
      continue;
    if (rule.times > 0)
      --rule.times;
    if (!action)
      action.emplace();
    switch (rule.kind) {
    case FaultKind::latency:
      action->delay_ms += rule.ms;
      break;
    case FaultKind::status:
      action->replacement = zoom_error(rule.status, rule.code, rule.message);
      break;
    case FaultKind::rate_limit_storm:
      action->replacement = storm_answer();
      break;
    case FaultKind::close_before_processing:
      // The server sees this before reading the body (Router::admit) and hangs up.
      action->replacement = Response{};
      action->connection = ConnectionFault::close_before_reading;
      break;
    case FaultKind::close_after_processing:
      action->connection = ConnectionFault::close_without_response;
      break;
    case FaultKind::partial_body:
      action->connection = ConnectionFault::partial_body;
      break;
    case FaultKind::not_http:
      action->connection = ConnectionFault::not_http;
      break;
    case FaultKind::slow_body:
      action->slow_body_ms += rule.ms;
      break;
    case FaultKind::malformed_json:
      action->malformed_json = true;
      break;
    case FaultKind::expire_token:
      action->expire_token = true;
      break;
    }
  }
  return action;
}

void FaultInjector::apply(const FaultAction& action, Response& response) const {
  response.delay_ms += action.delay_ms;
  response.slow_body_ms += action.slow_body_ms;
  if (action.connection != ConnectionFault::none)
    response.fault = action.connection;
  if (action.malformed_json) {
    // Cut the document in half and leave it open: no JSON parser accepts that.
    response.body = response.body.substr(0, response.body.size() / 2) + "{\"";
    response.content_type = "application/json;charset=UTF-8";
  }
}

} // namespace sluice::zoom_emulator
