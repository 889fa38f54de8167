// The public Engine over its core: loading and compiling pipelines, blocking and awaitable
// runs, and a shutdown that cancels runs still in flight before joining the worker pool.

#include "compiler.hpp"
#include "dry_run.hpp"
#include "engine_core.hpp"
#include "file_text.hpp"
#include "plugin_loader.hpp"
#include "run_state.hpp"
#include "yaml_loader.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>

namespace sluice {

namespace asio = boost::asio;

namespace detail {

namespace {
unsigned thread_count(unsigned requested) {
  if (requested != 0)
    return requested;
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : hardware;
}
} // namespace

EngineCore::EngineCore(const EngineOptions& options)
    : credentials(options.credentials, options.credentials_path, options.credentials_url),
      limits(options.limits), threads(thread_count(options.threads)), workers(threads), http({}),
      blocking(4) {
  if (options.core_nodes)
    register_core_nodes(registry);
}

EngineCore::~EngineCore() {
  std::vector<std::shared_ptr<RunControl>> live;
  {
    std::lock_guard lock(mutex_);
    for (auto& weak : runs_)
      if (auto run = weak.lock())
        live.push_back(std::move(run));
  }
  for (auto& run : live)
    run->cancel();
  live.clear();
  bool all_ended = false;
  {
    // Cancelled runs end within their grace period, unless a node blocks a thread forever.
    std::unique_lock lock(mutex_);
    all_ended = idle_.wait_for(lock, std::chrono::seconds(10), [&] { return runs_.empty(); });
  }
  // Work of finished runs may still be held elsewhere for a moment: a thread outside the
  // workers (the blocking pool, or a plugin's own) hands a result back to the node's loop
  // and only then lets go of the loop (Asio's outstanding work). Wait for that, unless a node was
  // abandoned after cancellation: its work may never come back, and stopping is the only way out.
  if (abandoned_nodes.load(std::memory_order_relaxed) != 0 || !all_ended)
    workers.stop();
  workers.join();
}

RunSetup EngineCore::setup_for(const Pipeline& pipeline, RunOptions options) {
  if (!pipeline)
    throw std::invalid_argument("cannot run an empty Pipeline");
  RunSetup setup;
  setup.plan = pipeline.plan_;
  setup.inputs = resolve_inputs(*setup.plan, options.inputs);
  check_mocks(*setup.plan, options.mocks);
  if (options.dry_run != DryRun::off) {
    setup.dry_run = std::make_shared<DryRunGuard>(options.dry_run, options.http_interceptor);
    options.http_interceptor = setup.dry_run;
    setup.reaches.reserve(setup.plan->nodes.size());
    for (const PlanNode& node : setup.plan->nodes)
      setup.reaches.push_back(registry.find_reach(node.type->spec.type));
  }
  setup.options = std::move(options);
  setup.limits = limits;
  setup.workers = &workers;
  setup.threads = threads;
  setup.credentials = &credentials;
  setup.http = &http;
  setup.blocking = &blocking;
  setup.abandoned_nodes = &abandoned_nodes;
  return setup;
}

std::shared_ptr<RunControl> EngineCore::track(RunSetup setup,
                                              std::function<void(RunResult)> on_done) {
  auto slot = std::make_shared<std::list<std::weak_ptr<RunControl>>::iterator>();
  auto run =
      make_run(std::move(setup), [this, slot, on_done = std::move(on_done)](RunResult result) {
        {
          std::lock_guard lock(mutex_);
          runs_.erase(*slot);
          if (runs_.empty())
            idle_.notify_all();
        }
        on_done(std::move(result));
      });
  std::lock_guard lock(mutex_);
  *slot = runs_.insert(runs_.end(), run);
  return run;
}

} // namespace detail

Engine::Engine(EngineOptions options) : core_(std::make_unique<detail::EngineCore>(options)) {
}

Engine::~Engine() = default;

std::shared_ptr<const ConnectionProvider> Engine::find_provider(std::string_view name) const {
  return core_->registry.find_provider(name);
}

std::vector<std::shared_ptr<const ConnectionProvider>> Engine::providers() const {
  return core_->registry.providers();
}

CredentialStore& Engine::credentials() {
  return core_->credentials.get();
}

HttpClient& Engine::http() noexcept {
  return core_->http;
}

boost::asio::any_io_executor Engine::blocking_executor() {
  return core_->blocking.executor();
}

Registrar& Engine::registrar() noexcept {
  return core_->registry;
}

const NodeSpec* Engine::find_node_type(std::string_view type) const noexcept {
  auto found = core_->registry.find(type);
  // The registry never drops a type, so the spec outlives this shared_ptr.
  return found ? &found->spec : nullptr;
}

Reach Engine::find_reach(std::string_view type) const {
  return core_->registry.find_reach(type);
}

bool Engine::reconciles(std::string_view type) const {
  return core_->registry.reconciles(type);
}

std::optional<SideEffectsRule> Engine::find_side_effects_rule(std::string_view type) const {
  const auto rule = core_->registry.find_side_effects_rule(type);
  return rule ? std::optional(*rule) : std::nullopt;
}

std::vector<const NodeSpec*> Engine::node_types() const {
  std::vector<const NodeSpec*> out;
  for (const auto& type : core_->registry.all())
    out.push_back(&type->spec);
  return out;
}

std::vector<PluginFileReport> Engine::load_plugins(const std::vector<std::filesystem::path>& dirs) {
  return load_plugins(dirs, PluginLoadOptions{});
}

std::vector<PluginFileReport> Engine::load_plugins(const std::vector<std::filesystem::path>& dirs,
                                                   const PluginLoadOptions& options) {
  std::vector<PluginFileReport> reports = detail::load_plugins(core_->registry, dirs, options);
  std::lock_guard lock(core_->plugins_mutex);
  for (const PluginFileReport& report : reports)
    if (report.status == PluginFileStatus::loaded)
      core_->plugins.push_back(report);
  return reports;
}

std::vector<PluginFileReport> Engine::plugins() const {
  std::lock_guard lock(core_->plugins_mutex);
  return core_->plugins;
}

Pipeline Engine::load_file(const std::filesystem::path& file) const {
  std::string text;
  try {
    text = detail::read_at_most(file, core_->limits.input_bytes);
  } catch (const std::runtime_error&) {
    Diagnostic d{file.string(), {}, "cannot open the pipeline file", "check the path"};
    throw LoadError({d});
  }
  return load_string(text, file.string());
}

const Limits& Engine::limits() const noexcept {
  return core_->limits;
}

Pipeline Engine::load_string(std::string_view yaml, std::string file_name) const {
  std::vector<Diagnostic> diagnostics;
  PipelineSpec spec = detail::parse_pipeline_yaml(yaml, file_name, diagnostics, core_->limits);
  try {
    auto plan =
        detail::compile_plan(spec, core_->registry, core_->limits, detail::SpecOrigin::loader);
    if (diagnostics.empty())
      return Pipeline(std::move(plan));
  } catch (const LoadError& e) {
    diagnostics.insert(diagnostics.end(), e.diagnostics().begin(), e.diagnostics().end());
  }
  std::stable_sort(
      diagnostics.begin(), diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::pair(a.mark.line, a.mark.column) < std::pair(b.mark.line, b.mark.column);
      });
  throw LoadError(std::move(diagnostics));
}

Pipeline Engine::compile(const PipelineSpec& spec) const {
  return Pipeline(detail::compile_plan(spec, core_->registry, core_->limits));
}

RunResult Engine::run(const Pipeline& pipeline, RunOptions options) {
  // Not tracked by the core: the engine cannot be destroyed while its caller is in here, and
  // nodes abandoned after cancellation keep the run alive on the pool, which the engine
  // joins.
  return detail::run_blocking(core_->setup_for(pipeline, std::move(options)));
}

asio::awaitable<RunResult> Engine::async_run(Pipeline pipeline, RunOptions options) {
  auto setup = core_->setup_for(pipeline, std::move(options));
  const bool here = setup.options.run_small_here && detail::runs_serially(setup);
  auto initiation = [this, here, setup = std::move(setup)](auto handler) mutable {
    using Handler = decltype(handler);
    auto shared = std::make_shared<Handler>(std::move(handler));
    // Keeps the caller's event loop alive (outstanding work) until the run completes.
    std::optional work(asio::prefer(asio::get_associated_executor(*shared),
                                    asio::execution::outstanding_work.tracked));
    auto run = core_->track(std::move(setup), [shared, work](RunResult result) mutable {
      // The caller may destroy its event loop as soon as its coroutine has resumed, and the
      // completion can run there before this thread has come back out of post() (which wakes
      // a thread of that loop after queueing) and let go of the loop's work: sluice serve
      // destroyed its io_context under a worker still inside post() (ThreadSanitizer). The
      // completion waits until this thread is done with the caller's loop.
      auto handed_over = std::make_shared<std::mutex>();
      std::unique_lock handing_over(*handed_over);
      asio::post(*work,
                 [shared = std::move(shared), handed_over, result = std::move(result)]() mutable {
                   { const std::lock_guard handed(*handed_over); }
                   auto slot = asio::get_associated_cancellation_slot(*shared);
                   if (slot.is_connected())
                     slot.clear();
                   (*shared)(std::move(result));
                 });
      work.reset(); // the completion queued holds the loop's work from here
      handing_over.unlock();
    });
    auto slot = asio::get_associated_cancellation_slot(*shared);
    if (slot.is_connected())
      slot.assign([run](asio::cancellation_type type) {
        if ((type & asio::cancellation_type::terminal) != asio::cancellation_type::none)
          run->cancel();
      });
    run->begin(/*drive_here=*/here);
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(RunResult)>(
      std::move(initiation), asio::use_awaitable);
}

asio::any_io_executor Engine::executor() const {
  return core_->workers.next();
}

unsigned Engine::threads() const noexcept {
  return core_->threads;
}

} // namespace sluice
