#pragma once
/// @file
/// What a node type is: its declaration (`NodeSpec`), the `Context` it runs with, and the
/// function that runs it (`NodeType`). Core nodes, plugins and embedding applications all
/// register node types through `Registrar`.

#include <sluice/error.hpp>
#include <sluice/export.hpp>
#include <sluice/value.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class CredentialStore;
class HttpClient;
struct ConnectionProvider;

/// The type a setting accepts. `number` also accepts integers; `any` accepts everything.
enum class SettingType { any, string, integer, number, boolean, array, object };

/// "any", "string", ... (the enumerator's name).
SLUICE_SDK_API std::string_view to_string(SettingType type) noexcept;
/// Whether `value` is acceptable for a setting of `type`.
SLUICE_SDK_API bool accepts(SettingType type, const Value& value) noexcept;

/// One setting under a node's `with:`.
struct SettingSpec {
  std::string name;
  SettingType type = SettingType::any;
  std::string description;
  bool required = false;
  /// Used when the pipeline does not set it (null: no default).
  Value default_value;
};

/// One field of the object a node outputs (`{{ node.field }}`).
struct OutputSpec {
  std::string name;
  SettingType type = SettingType::any;
  std::string description;
};

/// A node type's declaration: what validation, `sluice inspect` and the schema are made of.
struct NodeSpec {
  /// `plugin.action`, e.g. `core.template`, `zoom.create_meeting`.
  std::string type;
  std::string description;
  std::vector<SettingSpec> settings;
  /// The fields of the output object. Empty: the output is not checked by validation.
  std::vector<OutputSpec> outputs;
  /// Other requirements, e.g. OAuth scopes (`meeting:write:meeting`).
  std::vector<std::string> requirements;
  /// Whether running the node changes something outside the run (creates a meeting...).
  bool side_effects = false;
  /// Whether running it twice has the same effect as once; only idempotent nodes are
  /// retried after a failure that may have had an effect.
  bool idempotent = true;

  /// The setting named `name`, or nullptr.
  SLUICE_SDK_API const SettingSpec* find_setting(std::string_view name) const noexcept;
};

enum class LogLevel { debug, info, warning, error };
SLUICE_SDK_API std::string_view to_string(LogLevel level) noexcept;

/// What a running node sees. Valid until the node's run function returns (or its awaitable
/// completes). Not thread-safe: use it from the node's own coroutine or call.
class SLUICE_SDK_API Context {
public:
  virtual ~Context();

  /// The node's id in the pipeline.
  virtual std::string_view node_id() const noexcept = 0;
  /// A resolved setting (templates evaluated, defaults applied), or null when unset.
  virtual const Value& setting(std::string_view name) const noexcept = 0;
  /// All resolved settings as one object.
  virtual Value settings() const = 0;
  /// 1 for the first attempt, 2 for the first retry...
  virtual int attempt() const noexcept = 0;
  /// Under `for_each`: the current element and its index; null and -1 otherwise.
  virtual const Value& item() const noexcept = 0;
  virtual std::int64_t index() const noexcept = 0;
  /// The executor the node runs on: arm timers and start I/O on it. For a node that waits it
  /// is one engine worker's event loop, run by one thread, so its handlers never overlap and
  /// what the node starts there completes on that thread.
  virtual boost::asio::any_io_executor executor() const = 0;
  /// True once the run is cancelled or the node timed out. Long synchronous work should
  /// poll it; awaited Asio operations are cancelled for you.
  virtual bool cancelled() const noexcept = 0;
  /// Writes to the run's log (observers and the CLI see it). Never log a secret.
  virtual void log(LogLevel level, std::string_view message) = 0;

  // -- SDK ABI 1.1 --------------------------------------------------------------------------

  /// The engine's connection store (see credentials.hpp), opened on first use from
  /// `EngineOptions` or the environment (`SLUICE_CREDENTIALS`, `SLUICE_CREDENTIALS_KEY`...).
  /// Throws `CredentialError{unavailable}` saying what is wrong when it cannot be opened.
  /// Its calls block (SQLite transactions, and `refresh_under_lock` waits for other
  /// processes): from a coroutine, run them on a thread of your own, not the run's executor.
  virtual CredentialStore& credentials() = 0;

  // -- SDK ABI 1.6 --------------------------------------------------------------------------

  /// The engine's HTTP(S) client (sluice/http.hpp), shared by every run of the engine: its
  /// keep-alive connections outlive a node. `co_await ctx.http().send(request)` on the
  /// node's own executor; no thread of the plugin's is needed.
  virtual HttpClient& http();
  /// Where blocking calls go (credential-store transactions, a file read): a small pool of
  /// threads the engine owns, never the run's own threads. See `sluice/blocking.hpp`.
  virtual boost::asio::any_io_executor blocking_executor();

  // -- SDK ABI 1.7 --------------------------------------------------------------------------

  /// When this node is run again after an earlier try of the same run ended without knowing
  /// how it went (the process running it died while the node was in flight; `attempt()` is
  /// then 2): when that earlier attempt started, if recorded. A type that declared
  /// `Registrar::declare_reconciles` looks for what that attempt did from then on before
  /// doing it again. nullopt otherwise, and on hosts before 1.7.
  virtual std::optional<std::chrono::system_clock::time_point> earlier_attempt_started() const;
};

/// A node that never waits: runs to completion on the calling thread. Cheapest to schedule.
using SyncRunFn = std::function<Value(Context&)>;
/// A node that waits (timers, I/O): a coroutine on the run's executor.
using AsyncRunFn = std::function<boost::asio::awaitable<Value>(Context&)>;

/// A registrable node type: its declaration and exactly one of the two run functions.
/// Throw `NodeError` to fail with a category; return the output (an object whose fields
/// match `spec.outputs`).
struct NodeType {
  NodeSpec spec;
  SyncRunFn run_sync;
  AsyncRunFn run_async;
};

// -- SDK ABI 1.5: settings checked when a pipeline is validated ---------------------------------

/// One problem a node type's settings check found.
struct SettingProblem {
  /// The setting's path as the user wrote it: `timezone`, `settings.audio`. Its first part
  /// names the setting whose position in the pipeline file the message points at.
  std::string setting;
  /// What is wrong and what is allowed, e.g. "'Europe/Berln' is not a time zone".
  std::string message;
};

/// What is known of one node's settings before it runs.
struct KnownSettings {
  /// An object of the settings written as literals (no `{{ }}` anywhere in them) and the
  /// defaults of the settings not written. A setting computed by a template is absent.
  Value literals;
  /// The settings computed by a template: their values exist only when the node runs.
  std::vector<std::string> templated;

  bool is_templated(std::string_view name) const noexcept {
    for (const std::string& setting : templated)
      if (setting == name)
        return true;
    return false;
  }
};

/// A node type's own checks of its settings (beyond the declared types, which the engine
/// checks), run when a pipeline is loaded so that `sluice validate` reports a bad literal (a
/// time zone that does not exist, an id of the wrong shape) at its file:line:column instead
/// of the run failing. Returns every problem found; none means the literals are fine. It must
/// only look at the settings (no network, no clock-dependent verdict that a later run could
/// reverse) and must not report a problem that a templated setting could still resolve.
using SettingsCheck = std::function<std::vector<SettingProblem>(const KnownSettings&)>;

// -- SDK ABI 1.6: side effects that depend on a setting ------------------------------------------

/// For a node type whose side effects depend on one of its settings (an HTTP request changes
/// nothing when its method is GET): a node of the type has none when `setting` is written as a
/// literal, or defaults to, one of `none_when` (compared without regard to case). When the
/// setting is templated, or has any other value, `NodeSpec::side_effects` holds. Data rather
/// than a function, so the engine answers for every node of a pipeline before anything runs
/// (`Pipeline::has_side_effects`, `sluice inspect`), without calling into the plugin.
struct SideEffectsRule {
  std::string setting;
  std::vector<std::string> none_when;
};

// -- SDK ABI 1.6: how far a node reaches ----------------------------------------------------------

/// How the nodes of a type reach outside the run: what a dry run (`sluice run --dry-run`,
/// `RunOptions::dry_run`) must know before it lets one run. A type that declares nothing is
/// `unknown`: a dry run never runs it when it has side effects, and an offline dry run never
/// runs it at all.
enum class Reach {
  unknown,   ///< not declared
  nothing,   ///< works from its settings alone: no network, no files, no other processes
  http_only, ///< through `Context::http()` only, so a dry run can run it and hold back the
             ///< requests that could change something, showing them instead of sending them
};

/// Where node types are registered: the engine's registry, or a plugin's registration.
class SLUICE_SDK_API Registrar {
public:
  virtual ~Registrar();
  /// Adds a node type; throws `std::invalid_argument` when the type name is taken or the
  /// type is malformed (no run function, bad name).
  virtual void add(NodeType type) = 0;

  /// Adds the connection provider of a service (SDK ABI 1.1; see provider.hpp): what
  /// `sluice connect NAME`, `connections check` and `connections delete --revoke` call.
  /// Throws `std::invalid_argument` when the name is taken, `std::logic_error` when this
  /// registrar does not take providers.
  virtual void add_provider(ConnectionProvider provider);

  /// Adds the settings check of node type `type` (SDK ABI 1.5), registered before by the same
  /// registrar; one per type. Throws `std::invalid_argument` when the type is unknown or
  /// already has a check, `std::logic_error` when this registrar does not take checks.
  virtual void add_settings_check(std::string_view type, SettingsCheck check);

  /// Adds the side-effects rule of node type `type` (SDK ABI 1.6), registered before by the
  /// same registrar and declaring `side_effects`; one per type, naming one of its settings.
  /// Throws as `add_settings_check` does.
  virtual void add_side_effects_rule(std::string_view type, SideEffectsRule rule);

  /// Declares how far nodes of type `type` reach (SDK ABI 1.6), registered before by the same
  /// registrar; once per type. A type with side effects that declares `http_only` can show in a
  /// dry run what it would send. Throws as `add_settings_check` does.
  virtual void declare_reach(std::string_view type, Reach reach);

  /// Declares (SDK ABI 1.7) that type `type`, registered before by the same registrar and not
  /// idempotent, reconciles: run again after an attempt whose outcome is unknown
  /// (`Context::earlier_attempt_started()`), it finds what that attempt did (a meeting it
  /// created) and takes it as its own instead of doing it twice. A run resumed on another
  /// machine then runs such a node again rather than stopping as interrupted. Once per type;
  /// throws as `add_settings_check` does.
  virtual void declare_reconciles(std::string_view type);
};

} // namespace sluice
