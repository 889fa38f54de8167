#pragma once
// Owns what the routes of `sluice serve`'s HTTP API mean: health, metrics, pipelines,
// starting, reading, listing, following (Server-Sent Events) and cancelling runs, with
// bearer-token authentication on all but /healthz and /readyz.

#include "dispatcher.hpp"
#include "http_server.hpp"
#include "metrics.hpp"
#include "run_store.hpp"
#include "webhooks.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

namespace sluice::service {

/// A served pipeline and where it came from, for GET /v1/pipelines.
struct PipelineListing {
  std::shared_ptr<const ServedPipeline> served;
  std::string file;
  /// Why the file's newest version is not served (it does not validate), or empty.
  std::string reload_error;
};

/// What the server serves, as GET /v1/pipelines lists it; replaced whole by a reload.
struct Catalog {
  std::map<std::string, PipelineListing, std::less<>> pipelines;
  /// Files that do not validate and have no earlier version served: file -> error.
  std::map<std::string, std::string, std::less<>> broken_files;
};

class ApiRoutes {
public:
  /// Requests to webhook paths go to `webhooks`.
  ApiRoutes(Dispatcher& dispatcher, RunStore& store, Metrics& metrics,
            std::shared_ptr<const Catalog> catalog, const std::atomic<bool>& ready,
            Webhooks& webhooks);

  boost::asio::awaitable<ServerResponse> handle(ServerRequest request);
  /// Lists `catalog` from now on (a reload).
  void serve(std::shared_ptr<const Catalog> catalog);

private:
  std::shared_ptr<const Catalog> catalog() const;
  ServerResponse run_events(const ServerRequest& request, const std::string& id);
  boost::asio::awaitable<ServerResponse> start_run(const ServerRequest& request,
                                                   const std::string& pipeline);
  ServerResponse list_runs(const ServerRequest& request);
  ServerResponse list_pipelines();
  std::optional<ServerResponse> refuse_unauthenticated(const ServerRequest& request);

  Dispatcher& dispatcher_;
  RunStore& store_;
  Metrics& metrics_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Catalog> catalog_;
  const std::atomic<bool>& ready_;
  Webhooks& webhooks_;
};

/// A run as the API shows it.
Value run_json(const StoredRun& run);

/// Submits `run` (the API's and the webhooks' way in) and answers: 400 when its inputs do not
/// match the pipeline's; when it is refused, 404 (unknown pipeline), 429 (the pipeline's
/// concurrency) or 503 (the server's queue, a shutdown), with Retry-After where later may
/// work; else with a `wait`, 200 and the run once it has ended within it, otherwise (and
/// always without a wait) 202; with its Location either way.
boost::asio::awaitable<ServerResponse> submit_and_answer(Dispatcher& dispatcher, RunStore& store,
                                                         NewRun run, std::chrono::seconds wait);
/// `error` as an API error answer: {"error": "..."}.
ServerResponse error_answer(int status, std::string error);
/// `?wait=` of a request: seconds from 0 to 300, or the 400 answer.
std::variant<std::chrono::seconds, ServerResponse> wait_parameter(const ServerRequest& request);
/// The query's parameters, decoded.
std::map<std::string, std::string, std::less<>> query_parameters(std::string_view query);

} // namespace sluice::service
