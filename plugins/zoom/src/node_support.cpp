// What every zoom.* node shares: choosing the connection (remembered for a few seconds, as
// reading the store per node costs more than the call), running the body on the node's strand,
// and turning its errors and notes into the node's failure and log.

#include "node_support.hpp"

#include "services.hpp"

#include "sluice_zoom/meeting_input.hpp"

#include <chrono>
#include <map>
#include <mutex>

namespace sluice::zoom {

namespace asio = boost::asio;

std::vector<SettingSpec> common_settings() {
  return {{"connection",
           SettingType::string,
           "Name of the stored Zoom connection (see `sluice connections list`). Optional when "
           "exactly one Zoom connection exists.",
           false,
           {}}};
}

std::string choose_connection(CredentialStore& store, const std::string& requested) {
  if (!requested.empty())
    return requested;
  const std::vector<Connection> zoom = store.list("zoom");
  if (zoom.size() == 1)
    return zoom.front().name;
  if (zoom.empty())
    throw NodeError(ErrorCategory::invalid_input, "no Zoom connection is stored",
                    "Add one with: sluice connect zoom --name NAME --client-id ID (see `sluice "
                    "connect zoom --help`)");
  std::string names;
  for (const Connection& c : zoom)
    names += (names.empty() ? "" : ", ") + c.name;
  throw NodeError(ErrorCategory::invalid_input, "several Zoom connections are stored (" + names +
                                                    "); set `connection` to say which one to use");
}

namespace {

// The only Zoom connection, as last read from a store: reading the store for every node of
// a bulk run costs more than the Zoom call. Re-read after a while, as connections come and go.
struct Choice {
  std::string name;
  std::chrono::steady_clock::time_point read_at;
};
constexpr std::chrono::seconds choice_lifetime{10};
std::mutex choices_mutex;
std::map<const CredentialStore*, Choice>& choices() {
  static auto* map = new std::map<const CredentialStore*, Choice>(); // outlives static dtors
  return *map;
}

std::string remembered_choice(const CredentialStore& store) {
  std::lock_guard lock(choices_mutex);
  const auto it = choices().find(&store);
  if (it == choices().end() ||
      std::chrono::steady_clock::now() - it->second.read_at > choice_lifetime)
    return {};
  return it->second.name;
}

void remember_choice(const CredentialStore& store, const std::string& name) {
  std::lock_guard lock(choices_mutex);
  choices()[&store] = Choice{name, std::chrono::steady_clock::now()};
}

} // namespace

asio::awaitable<Value> run_zoom_node(Context& ctx, NodeBody body) {
  const Value settings = ctx.settings();
  const Services services = Services::of(ctx);
  const Value& requested = settings["connection"];
  CredentialStore* store = nullptr;
  try {
    store = &ctx.credentials(); // opens the store on first use (once per engine)
  } catch (const CredentialError& e) {
    throw NodeError(ErrorCategory::invalid_input, e.what());
  }
  const std::string wanted = requested.is_string() ? std::string(requested.as_string()) : "";
  std::string connection = wanted;
  if (connection.empty()) {
    connection = remembered_choice(*store);
    if (connection.empty()) {
      auto choose = [store] { return choose_connection(*store, ""); };
      connection = co_await run_blocking(services, choose);
      remember_choice(*store, connection);
    }
  }

  std::vector<std::string> notes;
  std::exception_ptr failure;
  Value output;
  try {
    // On the node's own strand: the engine's HTTP client needs no thread of ours.
    auto run_body = [&]() -> asio::awaitable<Value> {
      ApiPolicy policy = ApiPolicy::from_environment();
      policy.repeat = ctx.attempt() > 1;
      ZoomApi api(services, *store, connection, policy);
      try {
        Value result = co_await body(api, settings);
        notes = std::move(api.notes);
        co_return result;
      } catch (...) {
        notes = std::move(api.notes);
        throw;
      }
    };
    output = co_await run_body();
  } catch (const InputError& e) {
    failure = std::make_exception_ptr(NodeError(ErrorCategory::invalid_input, e.what()));
  } catch (const AmbiguousOutcome& e) {
    failure = std::make_exception_ptr(NodeError(
        ErrorCategory::conflict, std::string(e.what()) + "; Zoom may or may not have acted on it",
        "Check in Zoom before running this node again."));
  } catch (...) {
    failure = std::current_exception();
  }
  for (const std::string& note : notes)
    ctx.log(LogLevel::info, note);
  if (failure)
    std::rethrow_exception(failure);
  co_return output;
}

} // namespace sluice::zoom
