// sluice::Service: puts the run store, dispatcher, scheduler and HTTP API together on a few
// threads of its own, and takes them apart in the order that loses nothing: stop accepting,
// stop the schedules, let runs finish (or cancel them after the grace), then stop the threads.

#include <sluice/service.hpp>

#include "api_routes.hpp"
#include "dispatcher.hpp"
#include "http_server.hpp"
#include "scheduler.hpp"
#include "sqlcipher_run_store.hpp"
#include "webhooks.hpp"

#include "../file_text.hpp"

#include <sluice/cassette.hpp>
#include <sluice/credentials_store.hpp>
#include <sluice/engine.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <condition_variable>
#include <stdexcept>
#include <sys/random.h>
#include <thread>

namespace sluice {

namespace asio = boost::asio;
using namespace service;

namespace {

// The service's own threads: the API's connections, recording run endings, timers. Runs
// themselves go on the engine's threads.
constexpr unsigned service_threads = 2;
constexpr std::chrono::hours prune_every{1};
// The file was just loaded within the engine's input limit; this only bounds the read.
constexpr std::size_t hashed_bytes = std::size_t{1} << 30;

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

CredentialStoreOptions run_store_options(const ServiceOptions& options) {
  const std::filesystem::path credentials =
      options.credentials.empty() ? credential_store_options_from_environment().database
                                  : options.credentials;
  return run_store_options_from_environment(
      credentials, options.runs.empty() ? std::nullopt : std::optional(options.runs));
}

// 256 random bits as hex: API tokens and generated webhook secrets.
std::string random_hex() {
  unsigned char bytes[32];
  if (::getrandom(bytes, sizeof bytes, 0) != sizeof bytes)
    throw std::runtime_error("getrandom failed: cannot make a secret");
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (unsigned char b : bytes) {
    text += digits[b >> 4];
    text += digits[b & 15];
  }
  return text;
}

constexpr std::string_view webhook_secret_provider = "webhook-secret";

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

  Engine& engine;
  ServiceOptions options;
  std::unique_ptr<RunStore> store;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::vector<std::thread> threads;
  std::vector<Pipeline> pipelines;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<Webhooks> webhooks;
  std::unique_ptr<ApiRoutes> routes;
  std::unique_ptr<HttpServer> server;
  std::atomic<bool> ready{false};
  std::mutex mutex;
  std::condition_variable stop_wanted;
  bool stopping = false;
};

Service::Service(Engine& engine, ServiceOptions options)
    : impl_(std::make_unique<Impl>(engine, std::move(options))) {
  Impl& s = *impl_;
  boost::system::error_code bad_address;
  const auto address = asio::ip::make_address(s.options.host, bad_address);
  if (bad_address)
    throw std::invalid_argument("cannot listen on '" + s.options.host + "': not an IP address");
  if (!address.is_loopback())
    throw std::invalid_argument("refusing to listen on " + s.options.host +
                                ": the API carries tokens and run data, and this version serves "
                                "plain HTTP only; listen on 127.0.0.1 and put a TLS proxy in "
                                "front");

  std::map<std::string, PipelineListing, std::less<>> listings;
  std::map<std::string, std::string, std::less<>> webhook_files;
  for (const std::filesystem::path& file : pipeline_files(s.options.paths)) {
    Pipeline pipeline = engine.load_file(file);
    const std::string name(pipeline.name());
    if (name.empty())
      throw std::invalid_argument(file.string() + ": a served pipeline needs a 'name:'");
    if (auto other = listings.find(name); other != listings.end())
      throw std::invalid_argument(file.string() + ": pipeline name '" + name +
                                  "' is also used by " + other->second.file);
    for (const WebhookTrigger& webhook : pipeline.triggers().webhooks)
      if (auto [first, added] = webhook_files.try_emplace(webhook.path, file.string()); !added)
        throw std::invalid_argument(file.string() + ": webhook path '" + webhook.path +
                                    "' is also served by " + first->second);
    auto served = std::make_shared<ServedPipeline>(
        ServedPipeline{pipeline, sha256_hex(detail::read_at_most(file, hashed_bytes))});
    listings[name] = PipelineListing{served, file.string()};
    s.pipelines.push_back(std::move(pipeline));
  }
  if (listings.empty())
    throw std::invalid_argument("no pipelines to serve: give pipeline files or folders that "
                                "hold *.yaml files");

  s.store = open_run_store(run_store_options(s.options));
  s.dispatcher = std::make_unique<Dispatcher>(engine, *s.store, s.io.get_executor());
  for (const auto& [name, listing] : listings)
    s.dispatcher->serve(*listing.served);
  s.scheduler = std::make_unique<Scheduler>(*s.dispatcher, *s.store, s.io.get_executor());
  std::map<std::string, ServedWebhook, std::less<>> hooks;
  for (const Pipeline& pipeline : s.pipelines)
    for (const WebhookTrigger& trigger : pipeline.triggers().webhooks)
      hooks[trigger.path] = ServedWebhook{std::string(pipeline.name()), trigger};
  s.webhooks = std::make_unique<Webhooks>(
      *s.dispatcher, *s.store, [&engine]() -> CredentialStore& { return engine.credentials(); },
      std::move(hooks));
  s.routes = std::make_unique<ApiRoutes>(*s.dispatcher, *s.store, std::move(listings), s.ready,
                                         *s.webhooks);
  ServerLimits limits;
  limits.body_bytes = s.options.max_body_bytes;
  s.server = std::make_unique<HttpServer>(s.io.get_executor(), s.options.host, s.options.port,
                                          limits, [routes = s.routes.get()](ServerRequest request) {
                                            return routes->handle(std::move(request));
                                          });
}

Service::~Service() {
  stop();
  Impl& s = *impl_;
  // Not run(), or run() returned: nothing is going, but the threads may never have started.
  s.server.reset();
  s.scheduler.reset();
  if (s.threads.empty())
    s.threads.emplace_back([&s] { s.io.run(); });
  s.dispatcher.reset();
  s.guard.reset();
  s.io.stop();
  for (std::thread& thread : s.threads)
    thread.join();
}

unsigned short Service::port() const noexcept {
  return impl_->server->port();
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
  for (const Pipeline& pipeline : s.pipelines)
    s.scheduler->start(pipeline);
  s.server->start();
  s.ready = true;
  s.say("serving " + std::to_string(s.pipelines.size()) + " pipelines on http://" + s.options.host +
        ":" + std::to_string(s.server->port()));
  {
    std::unique_lock lock(s.mutex);
    s.stop_wanted.wait(lock, [&s] { return s.stopping; });
  }
  s.ready = false;
  s.say("stopping: no new runs; running ones get " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(s.options.grace).count()) +
        " s to finish");
  s.server->stop();
  s.scheduler->stop();
  s.dispatcher->drain(s.options.grace);
  s.say("stopped");
}

void Service::stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stopping = true;
  impl_->stop_wanted.notify_all();
}

std::string create_api_token(const ServiceOptions& options, std::string_view name) {
  if (name.empty())
    throw std::invalid_argument("a token needs a name");
  auto store = open_run_store(run_store_options(options));
  std::string token = "sluice_" + random_hex();
  if (!store->add_token(name, sha256_hex(token)))
    throw std::invalid_argument("a token named '" + std::string(name) +
                                "' exists; delete it first (sluice tokens delete " +
                                std::string(name) + ")");
  return token;
}

std::vector<std::string> api_token_names(const ServiceOptions& options) {
  return open_run_store(run_store_options(options))->token_names();
}

void delete_api_token(const ServiceOptions& options, std::string_view name) {
  if (!open_run_store(run_store_options(options))->remove_token(name))
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
  for (const StoredRun& run : open_run_store(run_store_options(options))->list(query).runs)
    runs.push_back(run_json(run));
  return runs;
}

std::optional<Value> stored_run(const ServiceOptions& options, std::string_view id) {
  const auto run = open_run_store(run_store_options(options))->find(id);
  return run ? std::optional(run_json(*run)) : std::nullopt;
}

std::string cancel_stored_run(const ServiceOptions& options, std::string_view id) {
  auto store = open_run_store(run_store_options(options));
  const auto run = store->find(id);
  if (!run)
    throw std::invalid_argument("no run with id '" + std::string(id) + "'");
  if (run->status == StoredRunStatus::running)
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
    throw std::invalid_argument("'" + std::string(name) + "' is a " + existing->provider +
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
