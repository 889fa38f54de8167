// sluice::Service: puts the run store, dispatcher, scheduler and HTTP API together on a few
// threads of its own, reloads the pipeline files when they change (or on reload()), and takes
// it all apart in the order that loses nothing: stop accepting, stop the schedules, let runs
// finish (or cancel them after the grace), then stop the threads.

#include <sluice/service.hpp>

#include "api_routes.hpp"
#include "dispatcher.hpp"
#include "http_server.hpp"
#include "metrics.hpp"
#include "scheduler.hpp"
#include "service_store.hpp"
#include "webhooks.hpp"
#include "worker.hpp"

#include "../credentials/store_key.hpp"
#include "../file_text.hpp"
#include "../hex_text.hpp"
#include "../message_text.hpp"

#include <sluice/cassette.hpp>
#include <sluice/credentials_store.hpp>
#include <sluice/engine.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <condition_variable>
#include <stdexcept>
#include <stop_token>
#include <thread>

namespace sluice {

namespace asio = boost::asio;
using namespace service;

namespace {

// The service's own threads: the API's connections, recording run endings, timers. Runs
// themselves go on the engine's threads.
constexpr unsigned service_threads = 2;
constexpr std::chrono::hours prune_every{1};

bool is_pipeline_file(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  const bool yaml = name.ends_with(".yaml") || name.ends_with(".yml");
  return yaml && !name.ends_with(".test.yaml") && !name.ends_with(".test.yml");
}

std::vector<std::filesystem::path> pipeline_files(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::filesystem::path> files;
  for (const std::filesystem::path& path : paths) {
    if (!std::filesystem::is_directory(path)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(
             path, std::filesystem::directory_options::skip_permission_denied))
      if (entry.is_regular_file() && is_pipeline_file(entry.path()))
        found.push_back(entry.path());
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// 256 random bits as hex: API tokens and generated webhook secrets.
// The listing `catalog` serves from `file`, or null.
const PipelineListing* served_from(const Catalog& catalog, const std::string& file) {
  for (const auto& [name, listing] : catalog.pipelines)
    if (listing.file == file)
      return &listing;
  return nullptr;
}

// The first webhook path of `pipeline` served already (path, file), or nullopt.
std::optional<std::pair<std::string, std::string>>
clashes(const Pipeline& pipeline, const std::map<std::string, std::string, std::less<>>& served) {
  for (const WebhookTrigger& webhook : pipeline.triggers().webhooks)
    if (auto first = served.find(webhook.path); first != served.end())
      return std::pair(webhook.path, first->second);
  return std::nullopt;
}

std::string random_hex() {
  return credentials::StoreKey::random().hex().reveal();
}

constexpr std::string_view webhook_secret_provider = "webhook-secret";

// A pipeline file's last-modified time and size: what the watch compares.
using FileStamps =
    std::map<std::string, std::pair<std::filesystem::file_time_type, std::uintmax_t>>;

FileStamps stamps_of(const std::vector<std::filesystem::path>& files) {
  FileStamps stamps;
  for (const std::filesystem::path& file : files) {
    std::error_code time_error;
    std::error_code size_error;
    const auto modified = std::filesystem::last_write_time(file, time_error);
    const auto size = std::filesystem::file_size(file, size_error);
    stamps[file.string()] = {time_error ? std::filesystem::file_time_type{} : modified,
                             size_error ? 0 : size};
  }
  return stamps;
}

} // namespace

struct Service::Impl {
  Impl(Engine& e, ServiceOptions o) : engine(e), options(std::move(o)) {}

  void say(std::string_view line) const {
    if (options.log)
      options.log(line);
  }

  void prune() {
    if (!options.keep_runs && !options.keep_for)
      return;
    std::optional<SysMillis> before;
    if (options.keep_for)
      before = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()) -
               *options.keep_for;
    const std::size_t removed = store->prune(options.keep_runs, before);
    if (removed > 0)
      say("retention: removed " + std::to_string(removed) + " finished runs");
  }

  /// The pipelines of the files as they are now. With `previous` (a reload), a file that
  /// does not validate keeps the version `previous` served from it, and the error is noted;
  /// without (the start), the first such file throws.
  std::shared_ptr<Catalog> load(const std::vector<std::filesystem::path>& files,
                                const Catalog* previous) const {
    auto catalog = std::make_shared<Catalog>();
    std::map<std::string, std::string, std::less<>> webhook_files;
    auto keep_previous = [&](const std::string& file, const std::string& error) {
      if (!previous)
        throw std::invalid_argument(error);
      const PipelineListing* before = served_from(*previous, file);
      if (!before || catalog->pipelines.contains(before->served->pipeline.name())) {
        catalog->broken_files[file] = error;
        return;
      }
      PipelineListing kept = *before;
      kept.reload_error = error;
      for (const WebhookTrigger& webhook : kept.served->pipeline.triggers().webhooks)
        webhook_files.try_emplace(webhook.path, file);
      catalog->pipelines[std::string(kept.served->pipeline.name())] = std::move(kept);
    };
    for (const std::filesystem::path& path : files) {
      const std::string file = path.string();
      // Read once: the hash tells an unchanged file (served as it is, its schedules' timers
      // kept, not parsed again), and the same text is loaded otherwise.
      std::string text;
      try {
        text = detail::read_at_most(path, engine.limits().input_bytes);
      } catch (const std::runtime_error&) {
        keep_previous(file, file + ": cannot open the pipeline file");
        continue;
      }
      const std::string hash = sha256_hex(text);
      if (const PipelineListing* unchanged = previous ? served_from(*previous, file) : nullptr;
          unchanged && unchanged->served->hash == hash &&
          !catalog->pipelines.contains(unchanged->served->pipeline.name()) &&
          !clashes(unchanged->served->pipeline, webhook_files)) {
        for (const WebhookTrigger& webhook : unchanged->served->pipeline.triggers().webhooks)
          webhook_files.try_emplace(webhook.path, file);
        PipelineListing same = *unchanged;
        same.reload_error.clear(); // what is served is what the file says (again)
        catalog->pipelines[std::string(same.served->pipeline.name())] = std::move(same);
        continue;
      }
      std::optional<Pipeline> pipeline;
      try {
        pipeline = engine.load_string(text, file);
      } catch (const std::exception& e) {
        if (!previous)
          throw; // at the start a LoadError goes to the caller as it is, diagnostics and all
        // A LoadError's what() lists every diagnostic with file:line:column already.
        keep_previous(file, e.what());
        continue;
      }
      const std::string name(pipeline->name());
      if (name.empty()) {
        keep_previous(file, file + ": a served pipeline needs a 'name:'");
        continue;
      }
      if (auto other = catalog->pipelines.find(name); other != catalog->pipelines.end()) {
        keep_previous(file, file + ": pipeline name '" + name + "' is also used by " +
                                other->second.file);
        continue;
      }
      if (const auto clash = clashes(*pipeline, webhook_files)) {
        keep_previous(file, file + ": webhook path '" + clash->first + "' is also served by " +
                                clash->second);
        continue;
      }
      for (const WebhookTrigger& webhook : pipeline->triggers().webhooks)
        webhook_files.try_emplace(webhook.path, file);
      catalog->pipelines[name] = PipelineListing{
          std::make_shared<const ServedPipeline>(ServedPipeline{*pipeline, hash}), file, {}};
    }
    return catalog;
  }

  /// Serves `next` instead of `catalog`: new and changed pipelines to the dispatcher and the
  /// scheduler, gone ones retired, webhooks and the API's listing replaced.
  void serve(std::shared_ptr<const Catalog> next, bool schedules_running) {
    const Catalog* before = catalog.get();
    for (const auto& [name, listing] : next->pipelines) {
      const PipelineListing* old = nullptr;
      if (before)
        if (auto found = before->pipelines.find(name); found != before->pipelines.end())
          old = &found->second;
      if (old && old->served == listing.served)
        continue;
      dispatcher->serve(*listing.served);
      if (worker)
        worker->serve(listing.served);
      if (scheduler && schedules_running) {
        scheduler->stop(name);
        scheduler->start(listing.served->pipeline);
      }
      if (before)
        say(std::string(old ? "reloaded" : "now serving") + " pipeline '" + name + "' from " +
            listing.file);
    }
    if (before)
      for (const auto& [name, listing] : before->pipelines)
        if (!next->pipelines.contains(name)) {
          dispatcher->retire(name);
          if (worker)
            worker->retire(name);
          if (scheduler)
            scheduler->stop(name);
          say("no longer serving pipeline '" + name + "' (" + listing.file +
              " is gone or names another pipeline)");
        }
    for (const auto& [name, listing] : next->pipelines)
      if (!listing.reload_error.empty() &&
          (!before || !before->pipelines.contains(name) ||
           before->pipelines.find(name)->second.reload_error != listing.reload_error))
        say(listing.file + " does not validate; still serving its previous version of '" + name +
            "': " + listing.reload_error);
    for (const auto& [file, error] : next->broken_files)
      if (!before || !before->broken_files.contains(file))
        say(file + " does not validate, and is not served: " + error);
    std::map<std::string, ServedWebhook, std::less<>> hooks;
    for (const auto& [name, listing] : next->pipelines)
      for (const WebhookTrigger& trigger : listing.served->pipeline.triggers().webhooks)
        hooks[trigger.path] = ServedWebhook{name, trigger};
    if (webhooks)
      webhooks->serve(std::move(hooks));
    else
      webhooks = std::make_unique<Webhooks>(
          *dispatcher, *store, [this]() -> CredentialStore& { return engine.credentials(); },
          std::move(hooks));
    if (routes)
      routes->serve(next);
    catalog = std::move(next);
  }

  /// Loads the files again and serves what changed; errors keep what is served.
  void reload() {
    std::lock_guard lock(reload_mutex);
    try {
      const std::vector<std::filesystem::path> files = pipeline_files(options.paths);
      stamps = stamps_of(files);
      serve(load(files, catalog.get()), /*schedules_running=*/leading);
    } catch (const std::exception& e) {
      say(std::string("reload failed, everything stays as it was: ") + e.what());
    }
  }

  /// On a shared store: every 2 s, whether this server fires the schedules; starts or stops
  /// them when that changes. Until stop is requested.
  void lead_schedules(std::stop_token stop) {
    RunQueue& queue = *store->queue();
    std::mutex sleeping;
    std::condition_variable_any wake;
    do {
      const bool lead = queue.lead_schedules();
      std::lock_guard lock(reload_mutex);
      if (lead == leading)
        continue;
      leading = lead;
      for (const auto& [name, listing] : catalog->pipelines)
        if (lead)
          scheduler->start(listing.served->pipeline);
        else
          scheduler->stop(name);
      say(lead ? "this server fires the schedules now (one server on the store does)"
               : "this server no longer fires the schedules (it lost its hold on the store)");
    } while ([&] {
      std::unique_lock lock(sleeping);
      wake.wait_for(lock, stop, std::chrono::seconds(2), [] { return false; });
      return !stop.stop_requested();
    }());
  }

  /// Reloads when a pipeline file was added, removed or changed since the last load.
  void reload_if_changed() {
    std::vector<std::filesystem::path> files;
    try {
      files = pipeline_files(options.paths);
    } catch (const std::exception&) {
      return; // a folder being replaced: look again next time
    }
    bool changed = false;
    {
      std::lock_guard lock(reload_mutex);
      changed = stamps_of(files) != stamps;
    }
    if (changed)
      reload();
  }

  Engine& engine;
  ServiceOptions options;
  Metrics metrics;
  std::unique_ptr<RunStore> store;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::vector<std::thread> threads;
  std::unique_ptr<Dispatcher> dispatcher;
  /// On a shared store: claims and runs queued runs (worker.hpp). Null otherwise.
  std::unique_ptr<Worker> worker;
  /// Null for a worker (ServiceRole::worker): no schedules, no API.
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<Webhooks> webhooks;
  std::unique_ptr<ApiRoutes> routes;
  std::unique_ptr<HttpServer> server;
  std::mutex reload_mutex;
  std::shared_ptr<const Catalog> catalog; ///< what is served; changed with reload_mutex held
  FileStamps stamps;                      ///< of the files last loaded
  std::atomic<bool> ready{false};
  /// Whether this process fires the schedules (changed with reload_mutex held). On a shared
  /// store one server does at a time (RunQueue::lead_schedules): `leadership` asks.
  bool leading = true;
  std::jthread leadership;
  std::mutex mutex;
  std::condition_variable stop_wanted;
  bool stopping = false;
};

Service::Service(Engine& engine, ServiceOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(options))) {
  Impl& s = *impl_;
  const bool server = s.options.role == ServiceRole::server;
  boost::system::error_code bad_address;
  const auto address = asio::ip::make_address(s.options.host, bad_address);
  if (bad_address)
    throw std::invalid_argument("cannot listen on '" + s.options.host + "': not an IP address");
  const bool tls = !s.options.tls_certificate.empty() || !s.options.tls_private_key.empty();
  if (server && !address.is_loopback() && !tls && !s.options.insecure_listen)
    throw std::invalid_argument(
        "refusing to serve plain HTTP on " + s.options.host +
        ": the API carries tokens and run data. Give a certificate and key (--tls-cert, "
        "--tls-key), or --insecure-listen when a TLS proxy on this machine is in front");

  const std::vector<std::filesystem::path> files = pipeline_files(s.options.paths);
  std::shared_ptr<Catalog> catalog = s.load(files, nullptr);
  if (catalog->pipelines.empty())
    throw std::invalid_argument("no pipelines to serve: give pipeline files or folders that "
                                "hold *.yaml files");
  s.stamps = stamps_of(files);

  s.store = server ? open_served_store(s.options) : open_service_store(s.options);
  if (!server && !s.store->queue())
    throw std::invalid_argument("a worker takes its runs from a store many processes share: "
                                "give one (--store postgresql://USER@HOST/DATABASE, or "
                                "SLUICE_STORE)");
  s.dispatcher = std::make_unique<Dispatcher>(engine, *s.store, s.io.get_executor(), &s.metrics);
  s.dispatcher->limit_queue(s.options.max_queued_runs);
  if (RunQueue* queue = s.store->queue(); queue && s.options.worker_runs > 0) {
    WorkerOptions worker;
    worker.concurrency = s.options.worker_runs;
    worker.log = s.options.log;
    worker.metrics = &s.metrics;
    s.worker = std::make_unique<Worker>(engine, *s.store, *queue, std::move(worker));
  }
  if (server)
    s.scheduler = std::make_unique<Scheduler>(*s.dispatcher, *s.store, s.io.get_executor());
  s.leading = server && !s.store->queue();
  s.serve(catalog, /*schedules_running=*/false);
  if (!server)
    return;
  s.routes = std::make_unique<ApiRoutes>(*s.dispatcher, *s.store, s.metrics, s.catalog, s.ready,
                                         *s.webhooks);
  ServerConfig config;
  config.host = s.options.host;
  config.port = s.options.port;
  config.limits.body_bytes = s.options.max_body_bytes;
  config.limits.requests_per_client = s.options.max_requests_per_client;
  config.tls_certificate = s.options.tls_certificate;
  config.tls_private_key = s.options.tls_private_key;
  config.answered = [metrics = &s.metrics](int status) { metrics->answered(status); };
  s.server = std::make_unique<HttpServer>(s.io.get_executor(), std::move(config),
                                          [routes = s.routes.get()](ServerRequest request) {
                                            return routes->handle(std::move(request));
                                          });
}

Service::~Service() {
  stop();
  Impl& s = *impl_;
  // Not run(), or run() returned: nothing is going, but the threads may never have started.
  s.server.reset();
  s.scheduler.reset();
  s.worker.reset();
  if (s.threads.empty())
    s.threads.emplace_back([&s] { s.io.run(); });
  s.dispatcher.reset();
  s.guard.reset();
  s.io.stop();
  for (std::thread& thread : s.threads)
    thread.join();
}

unsigned short Service::port() const noexcept {
  return impl_->server ? impl_->server->port() : 0;
}

void Service::run() {
  Impl& s = *impl_;
  for (unsigned i = 0; i < service_threads; ++i)
    s.threads.emplace_back([&s] { s.io.run(); });
  const std::vector<std::string> reruns = s.dispatcher->recover();
  if (!reruns.empty())
    s.say("restart: " + std::to_string(reruns.size()) +
          " interrupted runs accepted again (on_restart: rerun)");
  s.prune();
  asio::co_spawn(
      s.io,
      [&s]() -> asio::awaitable<void> {
        asio::steady_timer timer(s.io);
        for (;;) {
          timer.expires_after(prune_every);
          co_await timer.async_wait(asio::use_awaitable);
          s.prune();
        }
      },
      asio::detached);
  if (s.options.watch_interval.count() > 0)
    asio::co_spawn(
        s.io,
        [&s]() -> asio::awaitable<void> {
          asio::steady_timer timer(s.io);
          for (;;) {
            timer.expires_after(s.options.watch_interval);
            co_await timer.async_wait(asio::use_awaitable);
            s.reload_if_changed();
          }
        },
        asio::detached);
  std::size_t served = 0;
  {
    std::lock_guard lock(s.reload_mutex); // a reload (SIGHUP) may come at any time from here
    if (s.scheduler && s.leading)
      for (const auto& [name, listing] : s.catalog->pipelines)
        s.scheduler->start(listing.served->pipeline);
    served = s.catalog->pipelines.size();
  }
  if (s.worker)
    s.worker->start();
  if (s.scheduler && s.store->queue())
    s.leadership = std::jthread([&s](std::stop_token stop) { s.lead_schedules(stop); });
  if (s.server)
    s.server->start();
  s.ready = true;
  if (const std::string where = s.store->location(); !where.empty())
    s.say("runs and API tokens are kept in " + where);
  if (s.server) {
    const bool tls = !s.options.tls_certificate.empty();
    s.say("serving " + std::to_string(served) + " pipelines on " + (tls ? "https://" : "http://") +
          s.options.host + ":" + std::to_string(s.server->port()));
  } else
    s.say("working: running the queued runs of " + std::to_string(served) + " pipelines, " +
          std::to_string(s.options.worker_runs) + " at a time");
  {
    std::unique_lock lock(s.mutex);
    s.stop_wanted.wait(lock, [&s] { return s.stopping; });
  }
  s.ready = false;
  s.say("stopping: no new runs; running ones get " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(s.options.grace).count()) +
        " s to finish");
  if (s.server)
    s.server->stop();
  if (s.leadership.joinable()) {
    s.leadership.request_stop();
    s.leadership.join();
  }
  {
    std::lock_guard lock(s.reload_mutex); // no reload starts schedules from here on
    if (s.scheduler)
      s.scheduler->stop();
  }
  if (s.worker)
    s.worker->stop(s.options.grace);
  s.dispatcher->drain(s.options.grace);
  s.say("stopped");
}

void Service::stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stopping = true;
  impl_->stop_wanted.notify_all();
}

void Service::reload() {
  asio::post(impl_->io, [impl = impl_.get()] { impl->reload(); });
}

std::string create_api_token(const ServiceOptions& options, std::string_view name) {
  if (name.empty())
    throw std::invalid_argument("a token needs a name");
  auto store = open_service_store(options);
  std::string token = "sluice_" + random_hex();
  if (!store->add_token(name, sha256_hex(token)))
    throw std::invalid_argument("a token named '" + std::string(name) +
                                "' exists; delete it first (sluice tokens delete " +
                                std::string(name) + ")");
  return token;
}

std::vector<std::string> api_token_names(const ServiceOptions& options) {
  return open_service_store(options)->token_names();
}

void delete_api_token(const ServiceOptions& options, std::string_view name) {
  if (!open_service_store(options)->remove_token(name))
    throw std::invalid_argument("no token named '" + std::string(name) + "'");
}

std::vector<Value> stored_runs(const ServiceOptions& options, std::string_view pipeline,
                               std::string_view status, std::size_t limit) {
  RunQuery query;
  query.pipeline = std::string(pipeline);
  query.limit = limit;
  if (!status.empty()) {
    query.status = stored_run_status_from(status);
    if (!query.status)
      throw std::invalid_argument("unknown status '" + std::string(status) +
                                  "' (queued, running, succeeded, failed, cancelled, "
                                  "interrupted, skipped)");
  }
  std::vector<Value> runs;
  for (const StoredRun& run : open_service_store(options)->list(query).runs)
    runs.push_back(run_json(run));
  return runs;
}

std::optional<Value> stored_run(const ServiceOptions& options, std::string_view id) {
  const auto run = open_service_store(options)->find(id);
  return run ? std::optional(run_json(*run)) : std::nullopt;
}

std::string cancel_stored_run(const ServiceOptions& options, std::string_view id) {
  auto store = open_service_store(options);
  const auto run = store->find(id);
  if (!run)
    throw std::invalid_argument("no run with id '" + std::string(id) + "'");
  // On a shared store the worker running it sees the request within a second or two (it
  // asks about its runs); the embedded store's server does not look.
  if (run->status == StoredRunStatus::running && !store->queue())
    throw std::invalid_argument("run " + std::string(id) +
                                " is running in a server; only that server can stop it: "
                                "POST /v1/runs/" +
                                std::string(id) + "/cancel");
  return std::string(to_string(store->cancel(id).value_or(run->status)));
}

std::string set_webhook_secret(CredentialStore& store, std::string_view name,
                               const Secret& secret) {
  if (name.empty())
    throw std::invalid_argument("a secret needs a name");
  if (!secret.empty() && secret.reveal().size() < 16)
    throw std::invalid_argument("a webhook secret needs at least 16 characters; or let "
                                "Sluice make one (--generate)");
  if (auto existing = store.find(name); existing && existing->provider != webhook_secret_provider)
    throw std::invalid_argument(detail::single_quoted(name) + " is a " + existing->provider +
                                " connection, not a webhook secret; choose another name");
  NewConnection connection;
  connection.name = std::string(name);
  connection.provider = std::string(webhook_secret_provider);
  std::string made = secret.empty() ? random_hex() : std::string();
  connection.client_secret = secret.empty() ? Secret(made) : secret;
  store.save_new(connection, /*replace=*/true);
  return made;
}

void delete_webhook_secret(CredentialStore& store, std::string_view name) {
  const auto existing = store.find(name);
  if (!existing || existing->provider != webhook_secret_provider)
    throw std::invalid_argument("no webhook secret named '" + std::string(name) + "'");
  store.remove(name);
}

} // namespace sluice
