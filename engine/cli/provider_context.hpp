#pragma once
// What a connection provider's functions see when the `sluice` CLI calls them.

#include <sluice/engine.hpp>
#include <sluice/provider.hpp>

namespace sluice::cli {

class CliProviderContext final : public ProviderContext {
public:
  explicit CliProviderContext(Engine& engine) : engine_(engine) {}
  CredentialStore& credentials() override { return engine_.credentials(); }
  std::ostream& out() override;
  std::ostream& err() override;
  bool interactive() const override;
  HttpClient& http() override { return engine_.http(); }
  boost::asio::any_io_executor executor() override;
  boost::asio::any_io_executor blocking_executor() override { return engine_.blocking_executor(); }

private:
  Engine& engine_;
};

} // namespace sluice::cli
