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

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class CredentialStore;
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
  /// The executor the run is driven by: arm timers and start I/O on it.
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
};

} // namespace sluice
