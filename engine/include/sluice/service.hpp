#pragma once
/// @file
/// `Service`: pipelines that run by themselves (`sluice serve`): their schedules fire, an
/// HTTP API starts, lists and cancels runs, and every run is written down before it starts,
/// in a run store that survives restarts (SQLCipher, beside the credential store; or
/// PostgreSQL, shared by many processes).
///
/// ```
/// sluice::Engine engine;
/// sluice::ServiceOptions options;
/// options.paths = {"pipelines/"};
/// sluice::Service service(engine, options); // loads, opens the store, listens
/// service.run();                            // until stop(), then drains
/// ```

#include <sluice/credentials.hpp>
#include <sluice/export.hpp>
#include <sluice/value.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class Engine;
class CredentialStore;

/// What a Service does: serve (the API, webhooks and schedules; on a shared store it also
/// runs queued runs, see `worker_runs`), or only run what a shared store's queue holds
/// (`sluice worker`).
enum class ServiceRole { server, worker };

struct ServiceOptions {
  ServiceRole role = ServiceRole::server;
  /// On a shared store (`store`): how many queued runs this process runs at once. A server
  /// with 0 runs none itself (workers elsewhere do). Unused with the embedded store, where
  /// the server runs every run it accepts.
  std::size_t worker_runs = 4;
  /// On a shared store: how long a run this process runs stays its own without a renewal
  /// (renewed every third of it, at most every 2 s). When the process dies, its runs go back
  /// to the queue this long after its last renewal, and a worker resumes them.
  std::chrono::milliseconds lease{30000};
  /// Pipeline files, or folders searched for `*.yaml` / `*.yml` (test files `*.test.yaml`
  /// left out). Each pipeline is served under its `name:`.
  std::vector<std::filesystem::path> paths;
  std::string host = "127.0.0.1";
  /// 0: any free port (see Service::port()).
  unsigned short port = 8080;
  /// TLS for the API: a PEM certificate chain and its PEM private key (both or neither). A
  /// `host` that is not a loopback address needs them, or `insecure_listen`.
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_private_key;
  /// Serve plain HTTP on a non-loopback address anyway (behind a TLS proxy on the same host).
  bool insecure_listen = false;
  /// The run store; empty: SLUICE_RUNS, else `runs.db` beside the credential store.
  std::filesystem::path runs;
  /// A PostgreSQL database (postgresql://USER@HOST/DB) for runs and API tokens instead of
  /// the file, shared by every Sluice process pointed at it; empty: SLUICE_STORE, else the
  /// file. A secret, as it may hold a password (better kept in ~/.pgpass or PGPASSFILE).
  Secret store;
  /// The embedded run store: write and sync each accepted run into the store before its
  /// acceptance is answered (it then survives a power cut too), instead of appending it to
  /// the store's accept log (it survives a crash or kill -9 of the process; a power cut or a
  /// crash of the machine may lose the runs accepted in the last seconds before it). Costs a
  /// disk sync per accept (shared by runs accepted at the same moment) and a transaction.
  bool sync_accepts = false;
  /// The credential store, to place the run store beside it; empty: from the environment.
  std::filesystem::path credentials;
  /// How long running runs get to finish after stop() before they are cancelled.
  std::chrono::milliseconds grace{30000};
  /// Largest request body the API accepts.
  std::size_t max_body_bytes = 1024 * 1024;
  /// Runs accepted but not started, over all pipelines; past it new runs are refused (503
  /// with Retry-After) rather than piling up.
  std::size_t max_queued_runs = 10000;
  /// Requests one client address may have in flight at once; more are answered 429.
  std::size_t max_requests_per_client = 64;
  /// How often the pipeline files are looked at for changes (a changed one is reloaded, as by
  /// reload()). Zero: only reload().
  std::chrono::milliseconds watch_interval{2000};
  /// Retention, applied at start and hourly: keep the newest N finished runs, and finished
  /// runs younger than this. Unset: keep them all.
  std::optional<std::size_t> keep_runs;
  std::optional<std::chrono::hours> keep_for;
  /// Lines about what the service does (started, listening, a run refused...), never a
  /// secret. Null: none.
  std::function<void(std::string_view)> log;
};

class SLUICE_API Service {
public:
  /// Loads every pipeline (throws `LoadError` for the first that does not validate, and
  /// `std::invalid_argument` for two pipelines with one name), opens the run store (throws
  /// `CredentialError`, or `std::runtime_error` for a database it cannot use), marks runs a
  /// previous server left running as interrupted, and binds the address (throws
  /// `std::system_error`). A non-loopback address without TLS or `insecure_listen` is refused
  /// (`std::invalid_argument`), as are TLS files that cannot be read.
  Service(Engine& engine, ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  /// The port it listens on.
  unsigned short port() const noexcept;
  /// Serves until stop() is called, then refuses new runs, lets running ones finish within
  /// the grace, cancels the rest, and returns.
  void run();
  /// Thread-safe; returns at once.
  void stop();
  /// Loads the pipeline files again (thread-safe; returns at once, the loading happens on the
  /// service's threads): changed pipelines are served in their new version (runs going on
  /// keep theirs), new ones are added, removed ones no longer start. A file that no longer
  /// validates keeps its previous version served; the error is logged and shown by
  /// `GET /v1/pipelines`.
  void reload();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// API tokens of the run store `options` names: create one (returned once, never stored as
/// it is), list their names, delete one. Throw `std::invalid_argument` for a name in use or
/// unknown, `CredentialError` when the store cannot be opened.
SLUICE_API std::string create_api_token(const ServiceOptions& options, std::string_view name);
SLUICE_API std::vector<std::string> api_token_names(const ServiceOptions& options);
SLUICE_API void delete_api_token(const ServiceOptions& options, std::string_view name);

/// Runs in the run store `options` names, as the API shows them (`GET /v1/runs`), newest
/// first; `pipeline` and `status` filter when not empty. Throws `std::invalid_argument` for
/// an unknown status.
SLUICE_API std::vector<Value> stored_runs(const ServiceOptions& options, std::string_view pipeline,
                                          std::string_view status, std::size_t limit);
/// One run as the API shows it, or nullopt.
SLUICE_API std::optional<Value> stored_run(const ServiceOptions& options, std::string_view id);
/// Cancels a queued run in the store (a server skips it); returns its status afterwards.
/// A running run is asked to stop on a shared store (its worker sees it within seconds and
/// records it as cancelled), and refused (`std::invalid_argument`) on the embedded one: only
/// the server running it can stop it (`POST /v1/runs/ID/cancel`).
SLUICE_API std::string cancel_stored_run(const ServiceOptions& options, std::string_view id);

/// A running server's API, for reading its runs from elsewhere (`sluice runs --server`).
struct ServiceEndpoint {
  std::string url;                  ///< http(s)://HOST:PORT
  Secret token;                     ///< an API token (`sluice tokens create`)
  std::filesystem::path ca_file;    ///< trusted besides the system's CAs (a private CA)
  bool allow_insecure_http = false; ///< plain http to a host that is not this machine
};

/// The same as stored_runs(), stored_run() and cancel_stored_run(), through a server's API
/// (where cancelling also stops a running run). Throw `std::invalid_argument` with the
/// server's error for an answer it refused (a bad status, an unknown token), and
/// `std::runtime_error` when it cannot be reached.
SLUICE_API std::vector<Value> remote_runs(const ServiceEndpoint& server, std::string_view pipeline,
                                          std::string_view status, std::size_t limit);
SLUICE_API std::optional<Value> remote_run(const ServiceEndpoint& server, std::string_view id);
SLUICE_API std::string remote_cancel_run(const ServiceEndpoint& server, std::string_view id);

/// Webhook secrets (`auth: { bearer | hmac: { connection: NAME } }`), kept in the credential
/// store as connections of provider "webhook-secret". set_webhook_secret() stores `secret`
/// (at least 16 characters), or a random 256-bit one it returns when `secret` is empty;
/// it replaces a secret of that name, never another kind of connection. Both throw
/// `std::invalid_argument` with what to do.
SLUICE_API std::string set_webhook_secret(CredentialStore& store, std::string_view name,
                                          const Secret& secret);
SLUICE_API void delete_webhook_secret(CredentialStore& store, std::string_view name);

} // namespace sluice
