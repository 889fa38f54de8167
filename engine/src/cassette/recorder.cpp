// Owns recording a run for a cassette: the interceptor that keeps every exchange (already
// redacted by the HTTP seam), and a watching connection store that learns each connection a
// node reads and every secret it is handed, for the cassette's connections and the writer's
// check.

#include <sluice/cassette.hpp>

#include <algorithm>

namespace sluice {

class CassetteRecorder::Store final : public CredentialStore {
public:
  Store(CassetteRecorder& recorder, std::function<CredentialStore&()> open)
      : recorder_(recorder), open_(std::move(open)) {}

  std::optional<Connection> find(std::string_view name) override {
    auto found = open_().find(name);
    if (found)
      recorder_.learn(*found);
    return found;
  }
  std::vector<Connection> list(std::string_view provider) override {
    auto all = open_().list(provider);
    for (const Connection& connection : all)
      recorder_.learn(connection);
    return all;
  }
  Connection save_new(const NewConnection& connection, bool replace) override {
    return seen(open_().save_new(connection, replace));
  }
  Connection update_tokens(std::string_view name, std::int64_t expected_version,
                           const Tokens& tokens) override {
    recorder_.learn(tokens);
    return seen(open_().update_tokens(name, expected_version, tokens));
  }
  Connection refresh_under_lock(std::string_view name, const RefreshPolicy& policy,
                                const std::function<Tokens(const Connection&)>& refresh) override {
    return seen(open_().refresh_under_lock(name, policy, [&](const Connection& stale) {
      recorder_.learn(stale);
      Tokens tokens = refresh(stale);
      recorder_.learn(tokens);
      return tokens;
    }));
  }
  Connection refresh_under_lock_committing(
      std::string_view name, const RefreshPolicy& policy,
      const std::function<Tokens(const Connection&, const CommitTokens& commit)>& refresh)
      override {
    return seen(open_().refresh_under_lock_committing(
        name, policy, [&](const Connection& stale, const CommitTokens& commit) {
          recorder_.learn(stale);
          Tokens tokens = refresh(stale, [&](const Tokens& fresh) {
            recorder_.learn(fresh);
            commit(fresh);
          });
          recorder_.learn(tokens);
          return tokens;
        }));
  }
  void mark_needs_reauthorisation(std::string_view name, std::string_view reason) override {
    open_().mark_needs_reauthorisation(name, reason);
  }
  void record_use(std::string_view name) override { open_().record_use(name); }
  bool remove(std::string_view name) override { return open_().remove(name); }

private:
  Connection seen(Connection connection) {
    recorder_.learn(connection);
    return connection;
  }

  CassetteRecorder& recorder_;
  std::function<CredentialStore&()> open_;
};

CassetteRecorder::CassetteRecorder(std::function<CredentialStore&()> store)
    : store_(std::make_shared<Store>(*this, std::move(store))) {
}

CassetteRecorder::~CassetteRecorder() = default;

HttpDecision CassetteRecorder::before_send(const HttpExchange&) {
  return HttpDecision::send();
}

void CassetteRecorder::after_receive(const HttpExchange& exchange, const HttpResponse& response) {
  std::lock_guard lock(mutex_);
  exchanges_.push_back(CassetteExchange{exchange.node, exchange.index, exchange.request, response});
}

std::shared_ptr<CredentialStore> CassetteRecorder::credentials() {
  // Shares the recorder's ownership of the store; the recorder must outlive the run.
  return store_;
}

Cassette CassetteRecorder::take() {
  std::lock_guard lock(mutex_);
  Cassette cassette;
  cassette.exchanges = std::move(exchanges_);
  cassette.connections = std::move(connections_);
  exchanges_.clear();
  connections_.clear();
  return cassette;
}

std::vector<Secret> CassetteRecorder::secrets() const {
  std::lock_guard lock(mutex_);
  return secrets_;
}

void CassetteRecorder::learn(const Connection& connection) {
  std::lock_guard lock(mutex_);
  for (const Secret* secret :
       {&connection.access_token, &connection.refresh_token, &connection.client_secret})
    if (!secret->empty() && std::find(secrets_.begin(), secrets_.end(), *secret) == secrets_.end())
      secrets_.push_back(*secret);
  const auto known =
      std::find_if(connections_.begin(), connections_.end(),
                   [&](const CassetteConnection& c) { return c.name == connection.name; });
  CassetteConnection kept{connection.name,   connection.provider, connection.grant_type,
                          connection.scopes, connection.account,  connection.extra};
  if (known == connections_.end())
    connections_.push_back(std::move(kept));
  else
    *known = std::move(kept);
}

void CassetteRecorder::learn(const Tokens& tokens) {
  std::lock_guard lock(mutex_);
  for (const Secret* secret : {&tokens.access_token, &tokens.refresh_token})
    if (!secret->empty() && std::find(secrets_.begin(), secrets_.end(), *secret) == secrets_.end())
      secrets_.push_back(*secret);
}

std::vector<std::pair<std::string, std::string>> cassette_plugins(const Engine& engine,
                                                                  const Pipeline& pipeline) {
  std::vector<std::pair<std::string, std::string>> used;
  for (const PluginFileReport& plugin : engine.plugins()) {
    bool uses = false;
    for (std::string_view node : pipeline.node_ids()) {
      const std::string_view type = pipeline.node_type(node);
      uses = uses || std::find(plugin.node_types.begin(), plugin.node_types.end(), type) !=
                         plugin.node_types.end();
    }
    if (uses)
      used.emplace_back(plugin.name, plugin.version);
  }
  std::sort(used.begin(), used.end());
  return used;
}

} // namespace sluice
