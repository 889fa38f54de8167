// `sluice serve`, `sluice tokens`, `sluice secrets` and `sluice runs`. SIGINT and SIGTERM stop
// the server gracefully and SIGHUP reloads its pipelines: a thread waits for them with
// sigwait(), so no work happens inside a signal handler.

#include "serve_command.hpp"
#include "store_address.hpp"

#include <sluice/credentials.hpp>
#include <sluice/credentials_store.hpp>
#include <sluice/diagnostic.hpp>
#include <sluice/service.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace sluice::cli {

namespace {

// Where runs, API tokens and connections are kept: --runs, --store, --credentials.
struct StoreArguments {
  std::string runs;
  std::string store;
  std::string credentials;
};

// What `serve` and `worker` share: the pipelines, stopping, reloading, logs, the store.
struct ProcessArguments {
  std::vector<std::string> paths;
  double grace_seconds = 30;
  double watch_seconds = 2;
  std::string log_format = "text";
  double lease_seconds = 30;
  StoreArguments stores;
};

} // namespace

struct ServeCommand::Arguments {
  ProcessArguments process;
  std::string listen = "127.0.0.1:8080";
  std::size_t keep_runs = 0;
  unsigned keep_days = 0;
  std::string tls_cert;
  std::string tls_key;
  bool insecure_listen = false;
  bool sync_accepts = false;
  std::size_t max_queued_runs = 10000;
  std::size_t max_requests_per_client = 64;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t worker_runs = 4;
};

struct WorkerCommand::Arguments {
  ProcessArguments process;
  std::size_t concurrency = 4;
};

struct RunsCommand::Arguments {
  std::string id;
  std::string pipeline;
  std::string status;
  std::size_t limit = 20;
  bool json = false;
  StoreArguments stores;
  std::string server;
  std::string ca_file;
};

struct SecretsCommand::Arguments {
  std::string name;
  std::string credentials;
  std::string store;
  bool generate = false;
};

struct TokensCommand::Arguments {
  std::string name;
  StoreArguments stores;
};

namespace {

void add_lease_option(CLI::App& command, double& seconds) {
  command
      .add_option("--lease", seconds,
                  "With a shared store: seconds a run stays this process's without renewal; "
                  "if the process dies, its runs are resumed elsewhere after this")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 3600.0));
}

std::chrono::milliseconds milliseconds_of(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

void add_store_options(CLI::App& command, StoreArguments& stores) {
  command.add_option("--runs", stores.runs,
                     "The run store file (default: SLUICE_RUNS, else runs.db beside the "
                     "credential store)");
  add_store_address_option(command, stores.store, "runs, API tokens and connections");
  command.add_option("--credentials", stores.credentials,
                     "The connection store (default: SLUICE_CREDENTIALS, else "
                     "$XDG_DATA_HOME/sluice/credentials.db)");
}

ServiceOptions store_options(const StoreArguments& stores) {
  ServiceOptions options;
  options.runs = stores.runs;
  options.store = store_address(stores.store);
  options.credentials = stores.credentials;
  return options;
}

void add_process_options(CLI::App& command, ProcessArguments& process) {
  command.add_option("paths", process.paths,
                     "Pipeline files, or folders searched for *.yaml (default: the current "
                     "folder)");
  command
      .add_option("--grace", process.grace_seconds,
                  "Seconds running runs get to finish on SIGTERM/SIGINT before they are "
                  "cancelled")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  command
      .add_option("--watch", process.watch_seconds,
                  "Seconds between looks at the pipeline files for changes (0: only reload "
                  "on SIGHUP)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  command.add_option("--log-format", process.log_format, "Log lines as text or JSON")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  add_lease_option(command, process.lease_seconds);
  add_store_options(command, process.stores);
}

// "127.0.0.1:8080" -> host, port.
bool split_listen(const std::string& listen, std::string& host, unsigned short& port) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    const unsigned long number = std::stoul(listen.substr(colon + 1));
    if (number > 65535)
      return false;
    port = static_cast<unsigned short>(number);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// One line of the server's log: for people, or as a JSON object per line for log collectors.
// The service never puts a secret in a line; this only formats it.
std::function<void(std::string_view)> log_lines(bool json, std::string command = "serve") {
  if (!json)
    return [command](std::string_view line) {
      std::cerr << "sluice " << command << ": " << line << std::endl;
    };
  return [](std::string_view line) {
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const Value entry(Object{{"time", fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now)},
                             {"level", "info"},
                             {"message", std::string(line)}});
    std::cerr << entry.to_json() << std::endl;
  };
}

ServiceOptions process_options(const ProcessArguments& process, const std::string& command) {
  ServiceOptions options = store_options(process.stores);
  for (const std::string& path : process.paths)
    options.paths.emplace_back(path);
  if (options.paths.empty())
    options.paths.emplace_back(".");
  options.grace = milliseconds_of(process.grace_seconds);
  options.watch_interval = milliseconds_of(process.watch_seconds);
  options.lease = milliseconds_of(process.lease_seconds);
  options.log = log_lines(process.log_format == "json", command);
  return options;
}

} // namespace

int run_service(ServiceOptions options, const PluginArgs& plugins, const std::string& credentials,
                const std::string& command);

ServeCommand::ServeCommand(CLI::App& app) : args_(std::make_shared<Arguments>()) {
  command_ = app.add_subcommand(
      "serve", "Serve pipelines: their schedules fire, and an HTTP API starts, lists and cancels "
               "runs, each recorded in a run store that survives restarts.");
  add_process_options(*command_, args_->process);
  command_
      ->add_option("--listen", args_->listen,
                   "HOST:PORT to listen on; an address other than loopback needs --tls-cert "
                   "and --tls-key, or --insecure-listen")
      ->capture_default_str();
  command_->add_option("--tls-cert", args_->tls_cert, "Serve HTTPS: the PEM certificate chain")
      ->check(CLI::ExistingFile);
  command_
      ->add_option("--tls-key", args_->tls_key, "Serve HTTPS: the certificate's PEM private key")
      ->check(CLI::ExistingFile);
  command_->add_flag("--insecure-listen", args_->insecure_listen,
                     "Serve plain HTTP on an address other than loopback (only behind a TLS "
                     "proxy on this machine)");
  command_
      ->add_option("--max-queued-runs", args_->max_queued_runs,
                   "Runs waiting to start, over all pipelines; past it new runs get 503")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000000}));
  command_
      ->add_option("--max-requests-per-client", args_->max_requests_per_client,
                   "Requests one client address may have in progress; more get 429")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  command_
      ->add_option("--max-body-bytes", args_->max_body_bytes,
                   "Largest request body accepted; larger ones get 413")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  command_->add_flag("--sync-accepts", args_->sync_accepts,
                     "Sync each accepted run into the run store before answering, so that it "
                     "survives a power cut too (by default it is logged first: it survives a "
                     "crash or kill -9 of the server, not of the machine); slower");
  command_->add_option("--keep-runs", args_->keep_runs,
                       "Keep only the newest N finished runs (default: all)");
  command_->add_option("--keep-days", args_->keep_days,
                       "Remove finished runs older than D days (default: never)");
  command_
      ->add_option("--worker-runs", args_->worker_runs,
                   "With a shared store (--store): queued runs this server runs at once, "
                   "besides any 'sluice worker' (0: none here)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{10000}));
  command_->footer("The API needs a token: create one with 'sluice tokens create NAME' and send "
                   "it as 'Authorization: Bearer TOKEN'. /healthz and /readyz are open.");
}

bool ServeCommand::selected() const {
  return command_->parsed();
}

int ServeCommand::run(const PluginArgs& plugins) const {
  ServiceOptions options = process_options(args_->process, "serve");
  if (!split_listen(args_->listen, options.host, options.port)) {
    std::cerr << "sluice serve: --listen must be HOST:PORT, e.g. 127.0.0.1:8080\n";
    return exit_usage;
  }
  if (args_->keep_runs > 0)
    options.keep_runs = args_->keep_runs;
  if (args_->keep_days > 0)
    options.keep_for = std::chrono::hours(24 * args_->keep_days);
  options.tls_certificate = args_->tls_cert;
  options.tls_private_key = args_->tls_key;
  options.insecure_listen = args_->insecure_listen;
  options.sync_accepts = args_->sync_accepts;
  options.max_queued_runs = args_->max_queued_runs;
  options.max_requests_per_client = args_->max_requests_per_client;
  options.max_body_bytes = args_->max_body_bytes;
  options.worker_runs = args_->worker_runs;
  return run_service(std::move(options), plugins, args_->process.stores.credentials, "serve");
}

// Runs a service until SIGINT or SIGTERM (SIGHUP reloads its pipelines).
int run_service(ServiceOptions options, const PluginArgs& plugins, const std::string& credentials,
                const std::string& command) {
  // Blocked in every thread (they inherit the mask), taken by the waiter below only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto engine = make_engine(0, plugins, credentials, {}, options.store);
  std::unique_ptr<Service> service;
  try {
    service = std::make_unique<Service>(*engine, options);
  } catch (const LoadError& e) {
    for (const Diagnostic& d : e.diagnostics())
      std::cerr << d.to_string() << '\n';
    std::cerr << "sluice " << command << ": a pipeline does not validate; nothing was served\n";
    return exit_usage;
  } catch (const std::invalid_argument& e) {
    std::cerr << "sluice " << command << ": " << e.what() << '\n';
    return exit_usage;
  }
  std::thread waiter([&service, signals] {
    for (int received = 0; sigwait(&signals, &received) == 0;) {
      if (received != SIGHUP)
        break;
      service->reload();
    }
    service->stop();
  });
  service->run();
  // Stopped by a signal, the waiter has returned; wake it otherwise.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return exit_ok;
}

WorkerCommand::WorkerCommand(CLI::App& app) : args_(std::make_shared<Arguments>()) {
  command_ = app.add_subcommand(
      "worker", "Run the queued runs of a store many processes share (PostgreSQL), for the "
                "pipelines found in PATH; no API, no schedules (sluice serve does those).");
  add_process_options(*command_, args_->process);
  command_->add_option("--concurrency", args_->concurrency, "Runs at once in this process")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
  command_->footer("A run whose worker dies (kill -9, a lost network) goes back to the queue "
                   "when its lease runs out, and another worker resumes it after the nodes "
                   "it had finished.");
}

bool WorkerCommand::selected() const {
  return command_->parsed();
}

int WorkerCommand::run(const PluginArgs& plugins) const {
  ServiceOptions options = process_options(args_->process, "worker");
  options.role = ServiceRole::worker;
  options.worker_runs = args_->concurrency;
  return run_service(std::move(options), plugins, args_->process.stores.credentials, "worker");
}

TokensCommand::TokensCommand(CLI::App& app) : args_(std::make_shared<Arguments>()) {
  command_ = app.add_subcommand("tokens", "Bearer tokens for the API of 'sluice serve'.");
  command_->require_subcommand(1);
  create_ = command_->add_subcommand(
      "create", "Create a token; it is printed once, alone on the last line of stdout.");
  create_->add_option("name", args_->name, "A name for it (who or what uses it)")->required();
  list_ = command_->add_subcommand("list", "List the tokens' names (never the tokens).");
  delete_ = command_->add_subcommand("delete", "Delete a token: it stops working at once.");
  delete_->add_option("name", args_->name, "The token's name")->required();
  for (CLI::App* sub : {create_, list_, delete_})
    add_store_options(*sub, args_->stores);
}

bool TokensCommand::selected() const {
  return command_->parsed();
}

int TokensCommand::run() const {
  const ServiceOptions options = store_options(args_->stores);
  try {
    if (create_->parsed()) {
      const std::string token = create_api_token(options, args_->name);
      std::cerr << fmt::format("Created token '{}'. It is shown once; send it as "
                               "'Authorization: Bearer TOKEN'.\n",
                               args_->name);
      std::cout << token << std::endl;
    } else if (list_->parsed()) {
      for (const std::string& name : api_token_names(options))
        std::cout << name << '\n';
    } else {
      delete_api_token(options, args_->name);
      std::cout << fmt::format("Deleted token '{}'.\n", args_->name);
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "sluice tokens: " << e.what() << '\n';
    return exit_usage;
  }
  return exit_ok;
}

SecretsCommand::SecretsCommand(CLI::App& app) : args_(std::make_shared<Arguments>()) {
  command_ = app.add_subcommand(
      "secrets", "Shared secrets of webhooks (auth: bearer or hmac), kept encrypted in the "
                 "credential store.");
  command_->require_subcommand(1);
  set_ = command_->add_subcommand(
      "set", "Store a secret: read from the first line of stdin, or made with --generate and "
             "printed once on stdout. Never from the command line.");
  set_->add_option("name", args_->name, "The name webhooks refer to (auth: ... connection: NAME)")
      ->required();
  set_->add_flag("--generate", args_->generate, "Make a random 256-bit secret and print it");
  delete_ = command_->add_subcommand("delete", "Delete a secret: its webhooks stop accepting.");
  delete_->add_option("name", args_->name, "The secret's name")->required();
  for (CLI::App* sub : {set_, delete_}) {
    sub->add_option("--credentials", args_->credentials,
                    "The connection store (default: SLUICE_CREDENTIALS, else "
                    "$XDG_DATA_HOME/sluice/credentials.db)");
    add_store_address_option(*sub, args_->store, "connections and secrets");
  }
}

bool SecretsCommand::selected() const {
  return command_->parsed();
}

int SecretsCommand::run() const {
  try {
    auto store = open_credential_store(connection_store_options(args_->credentials, args_->store));
    if (delete_->parsed()) {
      delete_webhook_secret(*store, args_->name);
      std::cout << fmt::format("Deleted secret '{}'.\n", args_->name);
      return exit_ok;
    }
    std::string line;
    if (!args_->generate) {
      std::getline(std::cin, line);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      if (line.empty()) {
        std::cerr << "sluice secrets: give the secret on the first line of stdin, or use "
                     "--generate\n";
        return exit_usage;
      }
    }
    const std::string made = set_webhook_secret(*store, args_->name, Secret(std::move(line)));
    std::cerr << fmt::format("Stored secret '{}'.\n", args_->name);
    if (!made.empty())
      std::cout << made << std::endl;
  } catch (const std::invalid_argument& e) {
    std::cerr << "sluice secrets: " << e.what() << '\n';
    return exit_usage;
  }
  return exit_ok;
}

RunsCommand::RunsCommand(CLI::App& app) : args_(std::make_shared<Arguments>()) {
  command_ = app.add_subcommand("runs", "The runs 'sluice serve' recorded: list, show, cancel.");
  command_->require_subcommand(1);
  list_ = command_->add_subcommand("list", "Runs, newest first.");
  list_->add_option("--pipeline", args_->pipeline, "Only this pipeline's runs");
  list_->add_option("--status", args_->status,
                    "Only runs with this status (queued, running, succeeded, failed, "
                    "cancelled, interrupted, skipped)");
  list_->add_option("--limit", args_->limit, "At most N runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  show_ = command_->add_subcommand("show", "One run: trigger, inputs, outputs, nodes, error.");
  show_->add_option("id", args_->id, "The run's id")->required();
  cancel_ = command_->add_subcommand(
      "cancel", "Cancel a queued run (a running one is stopped through its server's API).");
  cancel_->add_option("id", args_->id, "The run's id")->required();
  for (CLI::App* sub : {list_, show_}) {
    sub->add_flag("--json", args_->json, "Print as JSON");
  }
  for (CLI::App* sub : {list_, show_, cancel_}) {
    add_store_options(*sub, args_->stores);
    sub->add_option("--server", args_->server,
                    "Ask a running server's API (http(s)://HOST:PORT) instead of reading the "
                    "store; the token comes from SLUICE_API_TOKEN");
    sub->add_option("--ca-file", args_->ca_file,
                    "With --server: a CA certificate (PEM) to trust besides the system's")
        ->check(CLI::ExistingFile);
  }
}

bool RunsCommand::selected() const {
  return command_->parsed();
}

int RunsCommand::run() const {
  const ServiceOptions options = store_options(args_->stores);
  ServiceEndpoint server;
  const bool remote = !args_->server.empty();
  if (remote) {
    server.url = args_->server;
    if (const char* token = std::getenv("SLUICE_API_TOKEN"))
      server.token = Secret(std::string(token));
    server.ca_file = args_->ca_file;
  }
  try {
    if (list_->parsed()) {
      const std::vector<Value> runs =
          remote ? remote_runs(server, args_->pipeline, args_->status, args_->limit)
                 : stored_runs(options, args_->pipeline, args_->status, args_->limit);
      if (args_->json) {
        std::cout << Value(Array(runs.begin(), runs.end())).to_json(true) << '\n';
        return exit_ok;
      }
      for (const Value& run : runs)
        std::cout << fmt::format("{}  {:<24}  {:<11}  {}  {}\n", run["id"].to_text(),
                                 run["pipeline"].to_text(), run["status"].to_text(),
                                 run["accepted_at"].to_text(), run["trigger"].to_text());
      if (runs.empty())
        std::cerr << "no runs\n";
      return exit_ok;
    }
    if (show_->parsed()) {
      const std::optional<Value> run =
          remote ? remote_run(server, args_->id) : stored_run(options, args_->id);
      if (!run) {
        std::cerr << "sluice runs: no run with id '" << args_->id << "'\n";
        return exit_usage;
      }
      if (args_->json) {
        std::cout << run->to_json(true) << '\n';
        return exit_ok;
      }
      const Value& r = *run;
      std::cout << fmt::format("run       {}\npipeline  {}\nstatus    {}\ntrigger   {}\n"
                               "accepted  {}\nstarted   {}\nfinished  {}\n",
                               r["id"].to_text(), r["pipeline"].to_text(), r["status"].to_text(),
                               r["trigger"].to_text(), r["accepted_at"].to_text(),
                               r["started_at"].is_null() ? "-" : r["started_at"].to_text(),
                               r["finished_at"].is_null() ? "-" : r["finished_at"].to_text());
      if (!r["error"].is_null())
        std::cout << "error     " << r["error"].to_text() << '\n';
      std::cout << "inputs    " << r["inputs"].to_json() << '\n';
      if (!r["outputs"].is_null())
        std::cout << "outputs   " << r["outputs"].to_json() << '\n';
      for (const Value& node : r["nodes"].as_array())
        std::cout << fmt::format("  {:<20} {:<10} {}\n", node["id"].to_text(),
                                 node["status"].to_text(),
                                 node.find("message") ? node["message"].to_text() : "");
      return exit_ok;
    }
    const std::string status =
        remote ? remote_cancel_run(server, args_->id) : cancel_stored_run(options, args_->id);
    // A running run is stopped by its server: the request is in, the ending follows.
    std::cout << fmt::format("run {}: {}\n", args_->id,
                             status == "running" ? "cancel requested; it is stopping" : status);
  } catch (const std::invalid_argument& e) {
    std::cerr << "sluice runs: " << e.what() << '\n';
    return exit_usage;
  } catch (const std::runtime_error& e) {
    std::cerr << "sluice runs: " << e.what() << '\n';
    return exit_failed;
  }
  return exit_ok;
}

} // namespace sluice::cli
