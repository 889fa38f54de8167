// Replaying a cassette: strict matching of each request against the recording, the nearest
// recorded exchange for one that does not match, and connections that stand in for the
// recorded ones.

#include "player.hpp"

#include <sluice/ascii.hpp>
#include <sluice/encoding.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>

namespace sluice::detail {

namespace {

// The URL without scheme, authority, query and fragment: "/v2/meetings/1".
std::string path_of(std::string_view url) {
  std::size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : url.find('/', start + 3);
  if (start == std::string_view::npos)
    return "/";
  const std::size_t end = url.find_first_of("?#", start);
  return std::string(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
}

// Every query parameter, the URL's own and the request's (encoded as the client encodes
// them), sorted: order does not matter.
std::vector<std::string> query_of(const HttpRequest& request) {
  std::vector<std::string> parameters;
  const std::string_view url = request.url;
  if (const std::size_t q = url.find('?'); q != std::string_view::npos) {
    std::string_view rest = url.substr(q + 1);
    rest = rest.substr(0, rest.find('#'));
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      if (amp != 0)
        parameters.emplace_back(rest.substr(0, amp));
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    }
  }
  for (const auto& parameter : request.query)
    parameters.push_back(form_encode({parameter})); // as the client encodes it
  std::sort(parameters.begin(), parameters.end());
  return parameters;
}

std::optional<Value> json_of(const std::string& body) {
  if (body.empty())
    return std::nullopt;
  try {
    return Value::parse_json(body);
  } catch (const JsonError&) {
    return std::nullopt;
  }
}

bool same_body(const std::string& a, const std::string& b) {
  if (a == b)
    return true;
  const auto ja = json_of(a);
  const auto jb = json_of(b);
  return ja && jb && *ja == *jb;
}

// How a request differs from a recorded one: empty when it matches.
std::string difference(const HttpRequest& request, const HttpRequest& recorded) {
  if (!ascii::iequals(request.method, recorded.method))
    return "its method is " + recorded.method;
  if (path_of(request.url) != path_of(recorded.url))
    return "its path is " + path_of(recorded.url);
  if (query_of(request) != query_of(recorded))
    return "its query differs";
  if (!same_body(request.body, recorded.body))
    return "its body differs";
  return {};
}

class ReplayedConnections final : public CredentialStore {
public:
  explicit ReplayedConnections(std::vector<CassetteConnection> connections) {
    const Timestamp now = std::chrono::system_clock::now();
    for (CassetteConnection& recorded : connections) {
      Connection c;
      c.name = std::move(recorded.name);
      c.provider = std::move(recorded.provider);
      c.grant_type = std::move(recorded.grant_type);
      c.scopes = std::move(recorded.scopes);
      c.account = std::move(recorded.account);
      c.extra = std::move(recorded.extra);
      // Placeholders where the recording has "[redacted]": never sent anywhere.
      c.access_token = Secret("replayed-access-token");
      if (c.grant_type != "account_credentials")
        c.refresh_token = Secret("replayed-refresh-token");
      c.client_id = "replayed-client";
      c.expires_at = now + std::chrono::hours(24 * 365 * 10);
      c.created_at = c.updated_at = now;
      c.version = 1;
      connections_.push_back(std::move(c));
    }
    std::sort(connections_.begin(), connections_.end(),
              [](const Connection& a, const Connection& b) { return a.name < b.name; });
  }

  std::optional<Connection> find(std::string_view name) override {
    for (const Connection& c : connections_)
      if (c.name == name)
        return c;
    return std::nullopt;
  }
  std::vector<Connection> list(std::string_view provider) override {
    std::vector<Connection> out;
    for (const Connection& c : connections_)
      if (provider.empty() || c.provider == provider)
        out.push_back(c);
    return out;
  }
  Connection save_new(const NewConnection&, bool) override { refuse(); }
  Connection update_tokens(std::string_view name, std::int64_t, const Tokens&) override {
    return existing(name);
  }
  Connection refresh_under_lock(std::string_view name, const RefreshPolicy&,
                                const std::function<Tokens(const Connection&)>&) override {
    return existing(name); // never stale: its token lasts ten years
  }
  Connection refresh_under_lock_committing(
      std::string_view name, const RefreshPolicy&,
      const std::function<Tokens(const Connection&, const CommitTokens&)>&) override {
    return existing(name);
  }
  void mark_needs_reauthorisation(std::string_view, std::string_view) override {}
  void record_use(std::string_view) override {}
  bool remove(std::string_view) override { refuse(); }

private:
  [[noreturn]] static void refuse() {
    throw std::logic_error("a replayed run cannot change connections");
  }
  Connection existing(std::string_view name) {
    if (auto found = find(name))
      return *found;
    throw CredentialError(CredentialError::Kind::not_found,
                          "no connection named '" + std::string(name) + "' in the cassette");
  }

  std::vector<Connection> connections_;
};

} // namespace

std::string call_of(const HttpRequest& request) {
  return request.method + " " + path_of(request.url);
}

CassettePlayer::CassettePlayer(Cassette cassette)
    : cassette_(std::move(cassette)), used_(cassette_.exchanges.size(), false) {
}

HttpDecision CassettePlayer::before_send(const HttpExchange& exchange) {
  std::lock_guard lock(mutex_);
  const HttpRequest& request = exchange.request;
  // Recorded order first: of several identical requests (a list read twice), the first
  // unused answer goes to the first that asks. Failing that, the nearest is shown: the same
  // request already answered, then the same method and path, the same path, the same method.
  std::optional<std::size_t> nearest;
  int best = 0;
  std::string why;
  const std::string path = path_of(request.url);
  for (std::size_t i = 0; i < cassette_.exchanges.size(); ++i) {
    const HttpRequest& recorded = cassette_.exchanges[i].request;
    const std::string differs = difference(request, recorded);
    if (differs.empty() && !used_[i]) {
      used_[i] = true;
      calls_.push_back(call_of(request));
      return HttpDecision::answer(cassette_.exchanges[i].response);
    }
    const bool same_method = ascii::iequals(request.method, recorded.method);
    const bool same_path = path == path_of(recorded.url);
    const int closeness = differs.empty()            ? 4
                          : same_method && same_path ? 3
                          : same_path                ? 2
                          : same_method              ? 1
                                                     : 0;
    if (closeness > best) {
      best = closeness;
      nearest = i;
      why = differs.empty() ? "an earlier request used it" : differs;
    }
  }
  std::string line = call_of(request) + " (node '" + exchange.node + "')";
  line += " matches no recorded exchange";
  if (nearest)
    line += "; the nearest is exchange " + std::to_string(*nearest) + ", " +
            call_of(cassette_.exchanges[*nearest].request) + ", but " + why;
  unmatched_.push_back(line);
  return HttpDecision::refuse("replaying a cassette: " + line);
}

std::vector<std::string> CassettePlayer::unmatched() const {
  std::lock_guard lock(mutex_);
  return unmatched_;
}

std::vector<std::string> CassettePlayer::unused() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < used_.size(); ++i)
    if (!used_[i])
      out.push_back("exchange " + std::to_string(i) + ", " +
                    call_of(cassette_.exchanges[i].request) + " (node '" +
                    cassette_.exchanges[i].node + "'), was not used");
  return out;
}

std::vector<std::string> CassettePlayer::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

HttpDecision CallLog::before_send(const HttpExchange& exchange) {
  std::lock_guard lock(mutex_);
  calls_.push_back(call_of(exchange.request));
  return HttpDecision::send();
}

std::vector<std::string> CallLog::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::shared_ptr<CredentialStore> replayed_connections(std::vector<CassetteConnection> connections) {
  return std::make_shared<ReplayedConnections>(std::move(connections));
}

} // namespace sluice::detail
