#pragma once
/// @file
/// A connection provider: what a plugin offers for the connections of one service (Zoom,
/// ...), so that `sluice connect <name>`, `sluice connections check` and `sluice connections
/// delete --revoke` work for it. Register one with `Registrar::add_provider` (SDK ABI 1.1).
///
/// ```
/// registrar.add_provider({
///     .name = "zoom",
///     .description = "Zoom (OAuth 2.0: authorization code with PKCE, or server-to-server)",
///     .connect = [](sluice::ProviderContext& ctx, const std::vector<std::string>& args) {
///       ... parse args, run the consent flow, ctx.credentials().save_new(...) ...
///       return 0;
///     },
///     .check = [](sluice::ProviderContext& ctx, const sluice::Connection& c) {
///       ... call the service with the connection's token ...
///       return "signed in as jane@example.com";
///     },
///     .revoke = [](sluice::ProviderContext& ctx, const sluice::Connection& c) { ... },
/// });
/// ```

#include <sluice/credentials.hpp>
#include <sluice/export.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace sluice {

class HttpClient;

/// What a provider's functions get from the host (the `sluice` CLI or an application).
class SLUICE_SDK_API ProviderContext {
public:
  virtual ~ProviderContext();
  /// The connection store; throws `CredentialError{unavailable}` when it cannot be opened.
  virtual CredentialStore& credentials() = 0;
  /// Where to talk to the user: messages and prompts to `out`, problems to `err`. Never
  /// write a secret to either.
  virtual std::ostream& out() = 0;
  virtual std::ostream& err() = 0;
  /// Whether a human is at a terminal (a consent flow may wait for a browser).
  virtual bool interactive() const = 0;

  // -- SDK ABI 1.6 --------------------------------------------------------------------------

  /// The host's HTTP(S) client (sluice/http.hpp).
  virtual HttpClient& http();
  /// Where coroutines of a provider run (await them with `boost::asio::co_spawn(
  /// ctx.executor(), ..., boost::asio::use_future).get()` from a provider function, which
  /// may block: it runs on the host's own thread). Each call returns a new strand.
  virtual boost::asio::any_io_executor executor();
  /// Where blocking calls go from inside such a coroutine (see `sluice/blocking.hpp`).
  virtual boost::asio::any_io_executor blocking_executor();
};

struct ConnectionProvider {
  /// The provider name stored with its connections and used as `sluice connect <name>`.
  std::string name;
  /// One line for `sluice connect --help`.
  std::string description;
  /// `sluice connect <name> ARGS...`: parses `args` (everything after the name, `--help`
  /// included), runs the consent flow, stores the connection. Returns the process exit code
  /// (0 ok, 1 failed, 2 usage error), having told the user what happened.
  std::function<int(ProviderContext&, const std::vector<std::string>& args)> connect;
  /// Live health check of a stored connection (e.g. "who am I" with its token, refreshing
  /// it if due). Returns one line describing what was verified; throws with a message that
  /// says what is wrong and what to do. Optional.
  std::function<std::string(ProviderContext&, const Connection&)> check;
  /// Revokes the grant at the service (before the connection is deleted). Throws when the
  /// service refused; a grant that is already gone is not an error. Optional.
  std::function<void(ProviderContext&, const Connection&)> revoke;
};

} // namespace sluice
