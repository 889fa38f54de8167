// Webhook deliveries. Authentication failures all answer 401 with a reason that helps the
// sender's developer (stale timestamp, bad signature, replay) without revealing the secret
// or what the signature should have been.

#include "webhooks.hpp"
#include "../hex_text.hpp"

#include "api_routes.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace sluice::service {

namespace asio = boost::asio;

namespace {

// Compares in time that does not depend on where they differ.
bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

ServerResponse unauthorised(std::string reason) {
  return error_answer(401, std::move(reason));
}

} // namespace

std::optional<SignatureHeader> parse_signature(std::string_view value) {
  SignatureHeader parsed;
  bool has_time = false;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view field = value.substr(0, comma);
    while (!field.empty() && field.front() == ' ')
      field.remove_prefix(1);
    if (field.starts_with("t=")) {
      const std::string_view digits = field.substr(2);
      const auto [end, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), parsed.timestamp);
      has_time = error == std::errc() && end == digits.data() + digits.size();
    } else if (field.starts_with("v1=")) {
      parsed.signature = std::string(field.substr(3));
    }
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
  }
  if (!has_time || parsed.signature.empty())
    return std::nullopt;
  return parsed;
}

std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                              std::string_view body) {
  const std::string message = std::to_string(unix_seconds) + "." + std::string(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &size);
  return "t=" + std::to_string(unix_seconds) + ",v1=" + detail::lower_hex(digest, size);
}

Webhooks::Webhooks(Dispatcher& dispatcher, RunStore& store,
                   std::function<CredentialStore&()> secrets,
                   std::map<std::string, ServedWebhook, std::less<>> hooks)
    : dispatcher_(dispatcher), store_(store), secrets_(std::move(secrets)) {
  serve(std::move(hooks));
}

void Webhooks::serve(std::map<std::string, ServedWebhook, std::less<>> hooks) {
  auto served =
      std::make_shared<const std::map<std::string, ServedWebhook, std::less<>>>(std::move(hooks));
  std::lock_guard lock(mutex_);
  hooks_ = std::move(served);
}

std::optional<asio::awaitable<ServerResponse>> Webhooks::handle(const ServerRequest& request) {
  std::shared_ptr<const std::map<std::string, ServedWebhook, std::less<>>> hooks;
  {
    std::lock_guard lock(mutex_);
    hooks = hooks_;
  }
  const auto hook = hooks->find(request.path());
  if (hook == hooks->end())
    return std::nullopt;
  return deliver(request, hook->second);
}

std::optional<ServerResponse> Webhooks::refuse(const ServerRequest& request,
                                               const ServedWebhook& hook) {
  const WebhookTrigger& trigger = hook.trigger;
  if (trigger.auth == WebhookAuth::none)
    return std::nullopt;
  std::optional<Connection> connection;
  try {
    connection = secrets_().find(trigger.connection);
  } catch (const std::exception& e) {
    return error_answer(503, std::string("the secret store cannot be read: ") + e.what());
  }
  if (!connection || connection->client_secret.empty())
    // The server's mistake, not the sender's: nothing the sender changes would help.
    return error_answer(503, "the webhook's secret '" + trigger.connection +
                                 "' is not stored on this server (sluice secrets set " +
                                 trigger.connection + ")");
  const std::string& secret = connection->client_secret.reveal();
  if (trigger.auth == WebhookAuth::bearer) {
    const std::string_view authorization = request.header("Authorization");
    constexpr std::string_view scheme = "Bearer ";
    if (!authorization.starts_with(scheme) ||
        !same_secret(authorization.substr(scheme.size()), secret))
      return unauthorised("this webhook needs 'Authorization: Bearer SECRET' with its secret");
    return std::nullopt;
  }
  const std::string_view header = request.header(trigger.signature_header);
  if (header.empty())
    return unauthorised("this webhook needs a signature in the " + trigger.signature_header +
                        " header: t=UNIX-SECONDS,v1=HMAC-SHA256 of \"UNIX-SECONDS.BODY\" in hex");
  const auto parsed = parse_signature(header);
  if (!parsed)
    return unauthorised("the " + trigger.signature_header +
                        " header must be t=UNIX-SECONDS,v1=HEX-SIGNATURE");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (parsed->timestamp < now - trigger.tolerance.count() ||
      parsed->timestamp > now + trigger.tolerance.count())
    return unauthorised("the signature's timestamp is more than " +
                        std::to_string(trigger.tolerance.count()) +
                        " s from the server's clock (stale, or the clocks differ)");
  const std::string expected = webhook_signature(secret, parsed->timestamp, request.body);
  if (!same_secret(expected, "t=" + std::to_string(parsed->timestamp) + ",v1=" + parsed->signature))
    return unauthorised("the signature does not match the body and timestamp");
  // Accepted once: the same delivery again, within the tolerance, is a replay.
  const SysMillis forget_after(std::chrono::seconds(parsed->timestamp + trigger.tolerance.count()));
  if (!store_.first_delivery(parsed->signature, forget_after))
    return error_answer(409, "this delivery was accepted before (same signature): not run again");
  return std::nullopt;
}

asio::awaitable<ServerResponse> Webhooks::deliver(ServerRequest request, ServedWebhook hook) {
  if (request.method != "POST") {
    ServerResponse answer = error_answer(405, "a webhook takes POST");
    answer.headers.push_back({"Allow", "POST"});
    co_return answer;
  }
  const auto asked = wait_parameter(request);
  if (const auto* refusal = std::get_if<ServerResponse>(&asked))
    co_return *refusal;
  // ?wait= wins; otherwise the trigger's `wait:` (rounded up to whole seconds).
  std::chrono::seconds wait = std::get<std::chrono::seconds>(asked);
  if (!query_parameters(request.query()).contains("wait"))
    wait = std::chrono::ceil<std::chrono::seconds>(hook.trigger.wait);
  if (auto refusal = refuse(request, hook))
    co_return *refusal;

  // Inputs: the body's JSON object, then query parameters and the selected headers (as
  // text, parsed by each input's declared type).
  Object inputs;
  if (!request.body.empty()) {
    Value body;
    try {
      body = Value::parse_json(request.body);
    } catch (const std::exception& e) {
      co_return error_answer(400, std::string("the body is not JSON: ") + e.what());
    }
    if (!body.is_object())
      co_return error_answer(400, "the body must be a JSON object of input values");
    for (const auto& [name, value] : body.as_object())
      inputs.emplace_back(name, value);
  }
  std::vector<std::pair<std::string, std::string>> texts;
  for (const auto& [name, value] : query_parameters(request.query()))
    if (name != "wait")
      texts.emplace_back(name, value);
  for (const auto& [header, input] : hook.trigger.header_inputs) {
    const std::string_view value = request.header(header);
    if (!value.empty())
      texts.emplace_back(input, std::string(value));
  }
  NewRun run;
  run.pipeline = hook.pipeline;
  run.trigger = "webhook " + hook.trigger.path;
  try {
    // A named pair, not a structured binding: clang 14 cannot capture those in a lambda.
    for (const auto& given : texts) {
      const std::string& name = given.first;
      std::erase_if(inputs, [&](const auto& member) { return member.first == name; });
      inputs.emplace_back(name, dispatcher_.parse_input(hook.pipeline, name, given.second));
    }
    run.inputs = Value(std::move(inputs));
  } catch (const InputError& e) {
    co_return error_answer(400, e.what());
  }
  co_return co_await submit_and_answer(dispatcher_, store_, std::move(run), wait);
}

} // namespace sluice::service
