// A dry run holds back at the HTTP seam whatever could change something, and keeps it for the
// plan; nodes whose type cannot show what it would do are refused before they start.

#include "dry_run.hpp"

#include <sluice/ascii.hpp>

#include <algorithm>
#include <variant>

namespace sluice::detail {

namespace {

// The reason a held request's node is given: it ends the node's attempt, and the run state
// turns the node's failure into `planned`.
constexpr const char* held_reason = "a dry run does not send it";

// Stand-ins for the outputs of planned nodes. They have to pass the checks a node type makes
// of an id (a positive int64; letters, digits and '-'), keep their text in a URL and a JSON
// body (nothing to escape), and be unlikely in real data: 19 digits from 8e18, and a prefix.
constexpr std::int64_t first_number_stand_in = 8'000'000'000'000'000'000;
constexpr std::string_view text_stand_in_prefix = "sluice-unknown-";

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

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

bool DryRunGuard::holds(const HttpExchange& exchange) const {
  if (mode_ == DryRun::offline)
    return true;
  if (exchange.request.obtains_credentials)
    return false;
  return !safe_method(exchange.request.method) || tainted(exchange.node);
}

HttpDecision DryRunGuard::before_send(const HttpExchange& exchange) {
  if (holds(exchange)) {
    HttpRequest request = shown(exchange.request);
    std::lock_guard lock(mutex_);
    planned_.push_back(PlannedRequest{exchange.node, exchange.index, std::move(request)});
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

void DryRunGuard::taint(std::string_view node) {
  std::lock_guard lock(mutex_);
  tainted_.emplace_back(node);
}

bool DryRunGuard::tainted(std::string_view node) const {
  std::lock_guard lock(mutex_);
  return std::find(tainted_.begin(), tainted_.end(), node) != tainted_.end();
}

Value DryRunGuard::stand_in_output(std::string_view node, const std::vector<OutputSpec>& outputs) {
  Object fields;
  std::lock_guard lock(mutex_);
  auto& names =
      stand_in_outputs_.emplace_back(std::string(node), std::vector<std::string>{}).second;
  for (const OutputSpec& output : outputs) {
    std::string label = "{";
    label += node;
    label += '.';
    label += output.name;
    label += '}';
    const auto sequence = static_cast<std::int64_t>(stand_ins_.size()) + 1;
    if (output.type == SettingType::integer) {
      const std::int64_t number = first_number_stand_in + sequence;
      stand_ins_.emplace_back(std::to_string(number), std::move(label));
      names.push_back(output.name);
      fields.emplace_back(output.name, Value(number));
    } else if (output.type == SettingType::string || output.type == SettingType::any) {
      // Zero-padded, so that no stand-in's text begins another's.
      std::string text(text_stand_in_prefix);
      const std::string digits = std::to_string(sequence);
      text.append(digits.size() < 6 ? 6 - digits.size() : 0, '0');
      text += digits;
      stand_ins_.emplace_back(text, std::move(label));
      names.push_back(output.name);
      fields.emplace_back(output.name, Value(std::move(text)));
    } else {
      fields.emplace_back(output.name, Value());
    }
  }
  return Value(std::move(fields));
}

bool DryRunGuard::reads_stand_in(std::string_view node, const Path& path) const {
  std::lock_guard lock(mutex_);
  const auto entry = std::find_if(stand_in_outputs_.begin(), stand_in_outputs_.end(),
                                  [&](const auto& e) { return e.first == node; });
  if (entry == stand_in_outputs_.end())
    return true;
  const auto segments = path.segments();
  if (segments.size() != 1)
    return false;
  const std::string* name = std::get_if<std::string>(&segments.front());
  return name &&
         std::find(entry->second.begin(), entry->second.end(), *name) != entry->second.end();
}

HttpRequest DryRunGuard::shown(HttpRequest request) const {
  std::lock_guard lock(mutex_);
  for (const auto& [text, label] : stand_ins_) {
    replace_all(request.url, text, label);
    replace_all(request.body, text, label);
    for (auto& [name, value] : request.query)
      replace_all(value, text, label);
  }
  return request;
}

} // namespace sluice::detail
