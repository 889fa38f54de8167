#pragma once
// Owns what the routes of `sluice serve`'s HTTP API mean: health, pipelines, starting,
// reading, listing and cancelling runs, with bearer-token authentication on /v1/.

#include "dispatcher.hpp"
#include "http_server.hpp"
#include "run_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace sluice::service {

/// A served pipeline and where it came from, for GET /v1/pipelines.
struct PipelineListing {
  std::shared_ptr<const ServedPipeline> served;
  std::string file;
};

class ApiRoutes {
public:
  ApiRoutes(Dispatcher& dispatcher, RunStore& store,
            std::map<std::string, PipelineListing, std::less<>> pipelines,
            const std::atomic<bool>& ready);

  boost::asio::awaitable<ServerResponse> handle(ServerRequest request);

private:
  boost::asio::awaitable<ServerResponse> start_run(const ServerRequest& request,
                                                   const std::string& pipeline);
  ServerResponse list_runs(const ServerRequest& request);
  ServerResponse list_pipelines();
  std::optional<ServerResponse> refuse_unauthenticated(const ServerRequest& request);

  Dispatcher& dispatcher_;
  RunStore& store_;
  std::map<std::string, PipelineListing, std::less<>> pipelines_;
  const std::atomic<bool>& ready_;
};

/// A run as the API shows it.
Value run_json(const StoredRun& run);

} // namespace sluice::service
