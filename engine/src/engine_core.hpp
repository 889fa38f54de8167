#pragma once
// What an Engine owns: the registry and the worker threads, plus bookkeeping of runs in flight
// so that destroying the engine can cancel them.

#include "blocking_pool.hpp"
#include "credentials_source.hpp"
#include "executor.hpp"
#include "http/client.hpp"
#include "registry.hpp"
#include "workers.hpp"

#include <sluice/plugin_loading.hpp>

#include <condition_variable>
#include <list>
#include <mutex>

namespace sluice::detail {

class EngineCore {
public:
  explicit EngineCore(const EngineOptions& options);
  ~EngineCore();

  Registry registry;
  CredentialsSource credentials;
  const Limits limits;
  std::atomic<unsigned> abandoned_nodes{0};
  unsigned threads;
  Workers workers;
  /// Declared after the workers: destroyed first, while their reactors still exist (the
  /// client's sockets are registered there), and after ~EngineCore joined their threads.
  http::Client http;
  BlockingPool blocking;
  /// The plugins loaded into this engine (Engine::plugins()); guarded by plugins_mutex.
  std::mutex plugins_mutex;
  std::vector<PluginFileReport> plugins;

  /// Wraps `on_done` so the run is tracked until it finishes.
  std::shared_ptr<RunControl> track(RunSetup setup, std::function<void(RunResult)> on_done);
  RunSetup setup_for(const Pipeline& pipeline, RunOptions options);

private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::list<std::weak_ptr<RunControl>> runs_;
};

} // namespace sluice::detail
