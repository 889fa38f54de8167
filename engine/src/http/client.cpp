// Client::send: the policy checks, the pool and the resend rule around one exchange.

#include "client.hpp"

#include "exchange.hpp"
#include "pool.hpp"
#include "tls.hpp"

#include <sluice/encoding.hpp>
#include <sluice/url.hpp>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>

#ifndef SLUICE_HTTP_VERSION
#error "SLUICE_HTTP_VERSION must be defined by the build"
#endif

namespace sluice::http {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace detail {
namespace {

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// "host:port" as the Host header wants it: brackets for IPv6, no default port.
std::string host_header(const Url& origin) {
  const std::string origin_text = origin.origin();
  return origin_text.substr(origin_text.find("://") + 3);
}

BeastRequest build_request(const HttpRequest& request, const RequestUrl& url) {
  const bhttp::verb verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown)
    throw std::invalid_argument("unknown HTTP method '" + request.method + "'");
  std::string target = url.target;
  if (!request.query.empty()) {
    target += target.find('?') == std::string::npos ? '?' : '&';
    target += form_encode(request.query);
  }
  BeastRequest message{verb, target, 11};
  for (const HttpHeader& header : request.headers) {
    // Never echo the value: it is often a token.
    if (header.name.empty() || has_line_break(header.name) || has_line_break(header.value))
      throw std::invalid_argument("header '" + header.name + "' has an empty name or a line break");
    message.insert(header.name, header.value);
  }
  message.set(bhttp::field::host, host_header(url.origin));
  if (message.find(bhttp::field::user_agent) == message.end())
    message.set(bhttp::field::user_agent, "sluice/" SLUICE_HTTP_VERSION);
  message.body() = request.body;
  message.prepare_payload(); // Content-Length
  message.keep_alive(true);
  return message;
}

// The signs of a keep-alive connection the server closed while it sat idle in the pool.
bool closed_while_idle(const boost::system::error_code& error) {
  return error == asio::error::eof || error == bhttp::error::end_of_stream ||
         error == asio::error::connection_reset || error == asio::error::broken_pipe ||
         error == asio::error::connection_aborted || error == asio::ssl::error::stream_truncated;
}

using Clock = std::chrono::steady_clock;

// The options with each stage's timeout cut to what is left before `deadline` (at least 1 ms,
// so an expired deadline still fails as a timeout of the stage, not as something else).
ClientOptions within(const ClientOptions& options, Clock::time_point deadline) {
  ClientOptions cut = options;
  const auto left =
      std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
               std::chrono::milliseconds(1));
  cut.connect_timeout = std::min(cut.connect_timeout, left);
  cut.tls_timeout = std::min(cut.tls_timeout, left);
  cut.response_timeout = std::min(cut.response_timeout, left);
  return cut;
}

} // namespace

class ClientCore {
public:
  explicit ClientCore(ClientOptions options) : options_(std::move(options)), pool_(options_) {}

  asio::awaitable<HttpResponse> send(HttpRequest request);

  // The TLS context trusting the system CAs plus `ca_file`; made on first use.
  asio::ssl::context& tls_for(const std::string& ca_file) {
    std::lock_guard lock(mutex_);
    std::unique_ptr<asio::ssl::context>& slot = tls_[ca_file];
    if (!slot)
      slot = make_tls_context(ca_file, options_.verify_tls);
    return *slot;
  }

  ClientOptions options_;
  Pool pool_;
  std::mutex mutex_; // guards tls_
  std::map<std::string, std::unique_ptr<asio::ssl::context>> tls_;
  // Counted without a lock: they are only read by stats(), never to decide anything.
  std::atomic<std::size_t> connections_opened_{0}, requests_sent_{0}, reused_{0};
};

asio::awaitable<HttpResponse> ClientCore::send(HttpRequest request) {
  const RequestUrl url = parse_request_url(request.url);
  if (url.origin.scheme == "http" && !url.origin.is_loopback() && !request.allow_insecure_http)
    throw std::invalid_argument("refusing plain http to " + url.origin.host +
                                ": requests carry tokens and secrets; use https, or allow "
                                "insecure http for a network you trust");
  const BeastRequest message = build_request(request, url);
  const Attempt attempt = attempt_for(request.method, url);
  asio::ssl::context* tls = url.origin.scheme == "https" ? &tls_for(request.ca_file) : nullptr;

  const bool limited = request.timeout.count() > 0;
  const Clock::time_point deadline = limited ? Clock::now() + request.timeout : Clock::time_point{};
  // Each stage's timeout, cut to what is left of the request's own when it has one,
  // and with the request's own size limit when it has one.
  const bool own_limit = request.max_response_bytes > 0;
  ClientOptions cut;
  const auto stage_options = [&]() -> const ClientOptions& {
    if (!limited && !own_limit)
      return options_;
    cut = limited ? within(options_, deadline) : options_;
    if (own_limit)
      cut.max_response_bytes = request.max_response_bytes;
    return cut;
  };

  // Connections trusting different CAs are different connections.
  const std::string key = origin_key(url.origin) + (tls ? " " + request.ca_file : std::string());
  // A connection opened here belongs to this coroutine's event loop, and the pool prefers
  // connections of the loop that asks: each read and write then completes on this thread.
  const asio::any_io_executor here = co_await asio::this_coro::executor;
  const void* loop = &asio::query(here, asio::execution::context);
  Lease lease = co_await pool_.acquire(key, loop);
  for (bool resent = false;; resent = true) {
    if (!lease.connection) {
      lease.connection = co_await open_connection(url.origin, stage_options(), here, tls, attempt);
      lease.connection->loop = loop;
      connections_opened_.fetch_add(1, std::memory_order_relaxed);
    }
    const bool reused = lease.connection->exchanges > 0;
    requests_sent_.fetch_add(1, std::memory_order_relaxed);
    if (reused)
      reused_.fetch_add(1, std::memory_order_relaxed);
    ExchangeResult result = co_await exchange(*lease.connection, message, stage_options());
    if (result.ok) {
      ++lease.connection->exchanges;
      lease.reusable = result.keep_alive;
      result.response.resent = resent;
      co_return std::move(result.response);
    }
    lease.connection.reset(); // its state is unknown; the slot stays ours for a resend
    throw_if_cancelled(co_await asio::this_coro::cancellation_state);
    if (reused && !resent && !result.response_started && !result.failure.timed_out &&
        closed_while_idle(result.failure.error)) {
      if (request.idempotent)
        continue; // the server most likely closed it while idle: once more, on a new one
      result.failure.detail = "on a reused connection; not resent because it is not idempotent";
    }
    throw make_http_error(attempt, result.failure);
  }
}

} // namespace detail

Client::Client(ClientOptions options)
    : core_(std::make_unique<detail::ClientCore>(std::move(options))) {
}

Client::~Client() = default;

// Not a coroutine: the core's coroutine is the one frame a request needs.
asio::awaitable<HttpResponse> Client::send(HttpRequest request) {
  return core_->send(std::move(request));
}

void Client::close_idle() {
  core_->pool_.close_idle();
}

Client::Stats Client::stats() const {
  return {core_->connections_opened_.load(std::memory_order_relaxed),
          core_->requests_sent_.load(std::memory_order_relaxed),
          core_->reused_.load(std::memory_order_relaxed)};
}

const ClientOptions& Client::options() const {
  return core_->options_;
}

} // namespace sluice::http
