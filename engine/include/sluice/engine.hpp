#pragma once
/// @file
/// The embedding API: an `Engine` owns node types and worker threads, loads pipelines and
/// runs them.
///
/// ```
/// sluice::Engine engine;                                   // core.* nodes, N threads
/// sluice::Pipeline p = engine.load_file("greet.yaml");     // throws sluice::LoadError
/// sluice::RunOptions options;
/// options.inputs = sluice::Object{{"who", "Ada"}};
/// sluice::RunResult r = engine.run(p, options);            // blocks
/// std::cout << r.outputs.to_json() << '\n';
/// ```

#include <sluice/credentials.hpp>
#include <sluice/diagnostic.hpp>
#include <sluice/export.hpp>
#include <sluice/http.hpp>
#include <sluice/limits.hpp>
#include <sluice/node.hpp>
#include <sluice/pipeline_spec.hpp>
#include <sluice/plugin_loading.hpp>
#include <sluice/provider.hpp>
#include <sluice/run.hpp>
#include <sluice/triggers.hpp>
#include <sluice/value.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

namespace detail {
struct Plan;
class EngineCore;
} // namespace detail

/// Thrown by `Engine::run` when the inputs do not match the pipeline's `inputs:`.
class SLUICE_API InputError : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

/// A declared pipeline input, as the pipeline describes it.
struct InputInfo {
  std::string name;
  SettingType type = SettingType::string;
  bool required = false;
  std::optional<Value> default_value;
  std::string description;
};

/// A validated, compiled pipeline. Immutable and cheap to copy; one Pipeline may be run many
/// times, also concurrently.
class SLUICE_API Pipeline {
public:
  Pipeline() = default;

  std::string_view name() const noexcept;
  std::string_view description() const noexcept;
  /// The file it was loaded from, or `<string>` / `<code>`.
  std::string_view file() const noexcept;
  const std::vector<InputInfo>& inputs() const noexcept;
  /// Node ids in declaration order.
  std::vector<std::string_view> node_ids() const;
  /// The names of its `outputs:`, in declaration order.
  std::vector<std::string_view> output_names() const;
  std::size_t node_count() const noexcept;
  /// The type of node `node_id` (`core.template`, `zoom.create_meeting`...). Throws
  /// `std::out_of_range` for an id the pipeline does not have.
  std::string_view node_type(std::string_view node_id) const;
  /// Whether running node `node_id` may change something outside the run: its type's
  /// `side_effects`, unless the type's side-effects rule clears it for the node's literal
  /// settings (an `http.request` whose method is GET). Throws `std::out_of_range` for an id
  /// the pipeline does not have.
  bool has_side_effects(std::string_view node_id) const;
  /// Whether running node `node_id` twice has the effect of running it once (its type's
  /// declaration). Throws `std::out_of_range` for an id the pipeline does not have.
  bool is_idempotent(std::string_view node_id) const;
  /// The nodes `node_id` waits for (its data references and `needs:`), in no set order.
  /// Throws `std::out_of_range` for an id the pipeline does not have.
  std::vector<std::string_view> dependencies(std::string_view node_id) const;

  /// Checks `inputs` (an object keyed by input name) as a run would: throws `InputError`
  /// naming the first input that is unknown, of the wrong type, or required and missing.
  void check_inputs(const Value& inputs) const;

  /// Parses `text` as a value for input `name` according to its declared type
  /// (`--input k=v`). Throws `InputError` naming the input and the expected type.
  Value parse_input(std::string_view name, std::string_view text) const;

  /// What makes it run under `sluice serve`: its schedules and webhooks, and how many runs
  /// at once (`sluice/triggers.hpp`).
  const Triggers& triggers() const noexcept;
  const RunPolicy& run_policy() const noexcept;

  /// The DAG in Graphviz DOT or Mermaid.
  std::string to_dot() const;
  std::string to_mermaid() const;

  explicit operator bool() const noexcept { return static_cast<bool>(plan_); }

private:
  friend class Engine;
  friend class detail::EngineCore;
  explicit Pipeline(std::shared_ptr<const detail::Plan> plan) : plan_(std::move(plan)) {}
  std::shared_ptr<const detail::Plan> plan_;
};

struct EngineOptions {
  /// Worker threads; 0 means the hardware concurrency.
  unsigned threads = 0;
  /// Register the `core.*` node types.
  bool core_nodes = true;
  /// The connection store nodes use (`Context::credentials()`). When null, the store named
  /// by `credentials_path` (else the environment: `SLUICE_CREDENTIALS`, default
  /// `$XDG_DATA_HOME/sluice/credentials.db`) is opened the first time a node asks for it,
  /// so pipelines that use no connections never touch it.
  std::shared_ptr<CredentialStore> credentials;
  std::optional<std::filesystem::path> credentials_path;
  /// A PostgreSQL database to keep connections in instead (the shared store of many
  /// machines: see `CredentialStoreOptions::database_url`); empty: `SLUICE_STORE`, else the
  /// file above. Opened on first use, like the file.
  Secret credentials_url;
  /// Sizes past which loading (`load_file`, `load_string`, `compile`) and running refuse a
  /// pipeline (see `Limits` for each one and its default).
  Limits limits;
};

/// Owns the node-type registry and the worker threads that run pipelines.
///
/// Register node types before loading pipelines that use them; loading, compiling and
/// running are thread-safe after that. Destroying the engine cancels runs still in flight
/// and waits for them.
class SLUICE_API Engine {
public:
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Where to add in-process node types (the same API plugins use).
  Registrar& registrar() noexcept;
  /// The connection provider named `name` (e.g. "zoom", from a plugin), or nullptr.
  std::shared_ptr<const ConnectionProvider> find_provider(std::string_view name) const;
  /// All registered connection providers, sorted by name.
  std::vector<std::shared_ptr<const ConnectionProvider>> providers() const;
  /// The connection store (see `EngineOptions::credentials`), opened on first use; throws
  /// `CredentialError{unavailable}` when it cannot be opened. Blocks while opening.
  CredentialStore& credentials();
  /// The HTTP(S) client nodes use (`Context::http()`), shared by every run of this engine.
  /// Await `send` from a strand or a single-threaded executor.
  HttpClient& http() noexcept;
  /// The pool for blocking calls nodes use (`Context::blocking_executor()`); its threads
  /// start on first use.
  boost::asio::any_io_executor blocking_executor();

  /// The declaration of node type `type`, or nullptr.
  const NodeSpec* find_node_type(std::string_view type) const noexcept;
  /// The side-effects rule of node type `type` (SDK 1.6), or nullopt when it has none.
  std::optional<SideEffectsRule> find_side_effects_rule(std::string_view type) const;
  /// How far nodes of type `type` reach (SDK 1.6, `Registrar::declare_reach`); `unknown` for
  /// a type that declared nothing, or that does not exist.
  Reach find_reach(std::string_view type) const;
  /// Whether node type `type` reconciles a repeat of an attempt whose outcome is unknown
  /// (SDK 1.7, `Registrar::declare_reconciles`); false for a type that does not exist.
  bool reconciles(std::string_view type) const;
  /// All registered node types, sorted by name.
  std::vector<const NodeSpec*> node_types() const;

  /// Loads the plugins found in `dirs` (in order; see `plugin_search_path()`) and registers
  /// their node types. The first plugin of a name wins; a file or directory entry that cannot
  /// be loaded or read is reported and the others still load. Before a file is loaded it is
  /// refused when a user other than the caller or root could have written it (see
  /// `PluginLoadOptions`), and when it is not an ELF shared library for this machine whose
  /// segments all lie inside the file (one cut short would crash the dynamic loader).
  /// Loaded plugins stay resident for the life of the process (their code backs objects that
  /// may outlive any engine).
  std::vector<PluginFileReport> load_plugins(const std::vector<std::filesystem::path>& dirs);
  std::vector<PluginFileReport> load_plugins(const std::vector<std::filesystem::path>& dirs,
                                             const PluginLoadOptions& options);

  /// The plugins loaded into this engine so far, one report each, in the order they loaded.
  std::vector<PluginFileReport> plugins() const;

  /// The sizes this engine refuses past (`EngineOptions::limits`).
  const Limits& limits() const noexcept;

  /// Load and validate; throw `LoadError` listing every problem found. A file or string
  /// larger than `EngineOptions::limits` allows is refused before it is parsed.
  Pipeline load_file(const std::filesystem::path& file) const;
  Pipeline load_string(std::string_view yaml, std::string file_name = "<string>") const;
  Pipeline compile(const PipelineSpec& spec) const;

  /// Runs `pipeline` and blocks until it ends. Small pipelines of nodes that never wait run
  /// entirely on the calling thread. Throws `InputError` for bad inputs; node failures are
  /// reported in the result, not thrown.
  RunResult run(const Pipeline& pipeline, RunOptions options = {});

  /// Runs `pipeline` on the engine's threads; `co_await` it from any executor. Cancelling
  /// the awaiting coroutine (terminal cancellation) cancels the run.
  boost::asio::awaitable<RunResult> async_run(Pipeline pipeline, RunOptions options = {});

  /// One of the engine's worker threads, a different one on each call (in turn). Each
  /// worker runs its own event loop: what is started there (a coroutine, its timers and
  /// sockets) stays on that thread.
  boost::asio::any_io_executor executor() const;
  unsigned threads() const noexcept;

private:
  std::unique_ptr<detail::EngineCore> core_;
};

} // namespace sluice
