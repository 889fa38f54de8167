#pragma once
// Owns the webhook routes of `sluice serve`: finding the trigger by path, checking the
// delivery's authentication (bearer secret, or an HMAC-SHA256 signature over timestamp and
// body within a tolerance, each signature accepted once), turning body, query and selected
// headers into the pipeline's inputs, and starting the run.

#include "dispatcher.hpp"
#include "http_server.hpp"
#include "run_store.hpp"

#include <sluice/credentials.hpp>
#include <sluice/triggers.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace sluice::service {

struct ServedWebhook {
  std::string pipeline;
  WebhookTrigger trigger;
};

class Webhooks {
public:
  /// `secrets` opens the credential store on first use (webhooks with auth: none never do).
  Webhooks(Dispatcher& dispatcher, RunStore& store, std::function<CredentialStore&()> secrets,
           std::map<std::string, ServedWebhook, std::less<>> hooks);

  /// Serves `hooks` from now on instead of those before (a reload); deliveries being handled
  /// finish with the webhook they started with.
  void serve(std::map<std::string, ServedWebhook, std::less<>> hooks);

  /// The answer for a request to a webhook path, or nullopt when no webhook has that path.
  std::optional<boost::asio::awaitable<ServerResponse>> handle(const ServerRequest& request);

private:
  boost::asio::awaitable<ServerResponse> deliver(ServerRequest request, ServedWebhook hook);
  /// Why the delivery is not let in, or nullopt.
  std::optional<ServerResponse> refuse(const ServerRequest& request, const ServedWebhook& hook);

  Dispatcher& dispatcher_;
  RunStore& store_;
  std::function<CredentialStore&()> secrets_;
  std::mutex mutex_;
  std::shared_ptr<const std::map<std::string, ServedWebhook, std::less<>>> hooks_;
};

/// A signature header's fields: `t=UNIX,v1=HEX`, in any order, other fields ignored.
struct SignatureHeader {
  std::int64_t timestamp = 0;
  std::string signature; ///< as sent (hex, unchecked)
};
/// The header's fields, or nullopt when `t` (a whole number) or `v1` is missing.
std::optional<SignatureHeader> parse_signature(std::string_view value);

/// The signature header's value for `body` sent at `unix_seconds` with `secret`:
/// `t=UNIX,v1=HEX(HMAC-SHA256(secret, "UNIX." + body))`. What senders compute (and tests).
std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                              std::string_view body);

} // namespace sluice::service
