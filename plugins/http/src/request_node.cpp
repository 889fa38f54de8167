// `http.request`: one request, or a series of pages, through the engine's HTTP service.
// Answers are read as JSON or text, statuses mapped to error categories, redirects followed
// (credentials stay with their origin), 429 and 503 waited out for requests that may be
// repeated.

#include "request_node.hpp"

#include "links.hpp"
#include "request_settings.hpp"
#include "token_connection.hpp"

#include <sluice/ascii.hpp>
#include <sluice/blocking.hpp>
#include <sluice/encoding.hpp>
#include <sluice/error.hpp>
#include <sluice/http.hpp>
#include <sluice/rate_limit.hpp>
#include <sluice/redact.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <set>

namespace sluice::http_plugin {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

bool is_json_type(std::string_view content_type) {
  const std::string type = ascii::lower(content_type.substr(0, content_type.find(';')));
  return type == "application/json" ||
         (type.starts_with("application/") && type.ends_with("+json"));
}

// "GET https://host/path": the request for messages, never its query (it may carry a key).
// Built only when a message needs it (three per call were 3 % of a call's instructions).
std::string describe(const HttpRequest& request) {
  return request.method + " " + request.url.substr(0, request.url.find('?'));
}

// The answer's body as the node outputs it; `request` names it in an error.
Value read_body(const HttpResponse& response, ResponseFormat format, const HttpRequest& request) {
  const bool json =
      format == ResponseFormat::json ||
      (format == ResponseFormat::automatic && is_json_type(response.header("Content-Type")));
  if (!json || response.body.empty())
    return json ? Value() : Value(response.body);
  try {
    return Value::parse_json(response.body);
  } catch (const std::exception& e) {
    throw NodeError(ErrorCategory::permanent,
                    describe(request) + ": the answer is not valid JSON (" + e.what() + ")",
                    "Set `response: text` to take it as text.");
  }
}

Value headers_object(const HttpResponse& response) {
  Object headers;
  for (const HttpHeader& header : response.headers) {
    const std::string name = ascii::lower(header.name);
    if (name == "set-cookie")
      continue; // a session credential: never an output
    headers.emplace_back(name, header.value);
  }
  return Value(std::move(headers));
}

// 4xx: the request is wrong and stays wrong (permanent; 404 not_found; 401/403 permission);
// 408, 429 and 5xx may pass (transient, rate_limited).
ErrorCategory category_of(int status) {
  if (status == 429)
    return ErrorCategory::rate_limited;
  if (status == 408 || status >= 500)
    return ErrorCategory::transient;
  if (status == 401 || status == 403)
    return ErrorCategory::permission;
  if (status == 404)
    return ErrorCategory::not_found;
  return ErrorCategory::permanent;
}

// The URL the client asks for: `url` with `query` appended, as the client encodes it.
std::string effective_url(const HttpRequest& request) {
  if (request.query.empty())
    return request.url;
  return request.url + (request.url.find('?') == std::string::npos ? "?" : "&") +
         form_encode(request.query);
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Before a request goes to another origin: the headers that carry credentials go, those named
// for it and any whose value holds a secret the request declares (a connection's token).
void drop_credentials(HttpRequest& request) {
  std::erase_if(request.headers, [&](const HttpHeader& header) {
    for (const char* name : {"Authorization", "Proxy-Authorization", "Cookie"})
      if (ascii::iequals(header.name, name))
        return true;
    return std::any_of(request.secrets.begin(), request.secrets.end(), [&](const Secret& secret) {
      return !secret.reveal().empty() && header.value.find(secret.reveal()) != std::string::npos;
    });
  });
}

// Points `request` at `to`, the next page or a redirect's target, found in the answer to the
// URL `from`.
void retarget(HttpRequest& request, const std::string& from, const std::string& to) {
  if (from.starts_with("https:") && !to.starts_with("https:"))
    throw NodeError(ErrorCategory::permanent,
                    describe(request) + ": the answer points to a plain http URL; refused, "
                                        "it would carry the request in clear text");
  if (!same_origin(from, to))
    drop_credentials(request);
  request.url = to;
  request.query.clear(); // the new URL carries its own
}

NodeError failure_of(const HttpError& error, const std::string& what, std::size_t max_bytes) {
  if (error.stage() == HttpFailureStage::response_too_large)
    return NodeError(ErrorCategory::permanent,
                     what + ": the answer is larger than max_bytes (" + std::to_string(max_bytes) +
                         " bytes)",
                     "Raise max_bytes if an answer this large is expected.");
  // A certificate that does not verify stays so; the error's category is OpenSSL's.
  const bool certificate = error.stage() == HttpFailureStage::tls_handshake && !error.timed_out() &&
                           std::string_view(error.error().category().name()) == "asio.ssl";
  if (certificate)
    return NodeError(ErrorCategory::permanent, error.what(),
                     "If the server's certificate comes from a private CA, name its PEM file "
                     "in ca_file.");
  if (!error.can_get_better())
    return NodeError(ErrorCategory::permanent, error.what());
  return NodeError(error.timed_out() ? ErrorCategory::timeout : ErrorCategory::transient,
                   error.what());
}

NodeSpec request_spec() {
  NodeSpec spec;
  spec.type = "http.request";
  spec.description = "Sends an HTTP(S) request (or fetches a series of pages) and outputs the "
                     "answer's status, headers and body (JSON parsed, or text).";
  const auto setting = [&](std::string name, SettingType type, std::string description,
                           bool required = false, Value fallback = {}) {
    spec.settings.push_back(
        {std::move(name), type, std::move(description), required, std::move(fallback)});
  };
  setting("url", SettingType::string, "Absolute http(s) URL; plain http to loopback only.", true);
  setting("method", SettingType::string, "GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS.", false,
          Value("GET"));
  setting("query", SettingType::object,
          "Query parameters, added to the URL's own (a list repeats the name).");
  setting("headers", SettingType::object, "Request headers.");
  setting("json", SettingType::any, "A body sent as JSON (Content-Type: application/json).");
  setting("form", SettingType::object, "A body sent as a form (x-www-form-urlencoded).");
  setting("text", SettingType::string, "A body sent as it is (Content-Type: text/plain).");
  setting("timeout", SettingType::any, "How long the whole request may take, e.g. 30s.", false,
          Value("30s"));
  setting("response", SettingType::string,
          "How to read the answer: auto (by Content-Type), "
          "json or text.",
          false, Value("auto"));
  setting("expect_status", SettingType::any,
          "Statuses that count as success: a status (404), a class (2xx) or a list; others "
          "fail the node (4xx permanent, 408/429/5xx worth a retry).",
          false, Value("2xx"));
  setting("max_bytes", SettingType::integer, "Answers larger than this fail the node.", false,
          Value(std::int64_t{16 << 20}));
  setting("idempotent", SettingType::boolean,
          "Whether sending it twice is harmless (default: by method; say true for a POST with "
          "an idempotency key). Only idempotent requests are re-sent after 429 or 503.");
  setting("max_retries", SettingType::integer, "How many 429 / 503 answers to wait out.", false,
          Value(std::int64_t{3}));
  setting("follow_redirects", SettingType::integer,
          "How many redirects to follow (0: a 3xx is the answer). Credentials are not sent on "
          "to another origin.",
          false, Value(std::int64_t{5}));
  setting("connection", SettingType::string,
          "A token connection (sluice connect token NAME) whose token authorises the "
          "requests.");
  setting("ca_file", SettingType::string,
          "A PEM file of CAs trusted besides the system's (a private CA).");
  setting("paginate", SettingType::object,
          "Fetch a series of pages: link_header: true, next_url: PATH or cursor: PATH (with "
          "cursor_param), items: PATH to collect each page's list (. when the page is the list), "
          "and max_pages (required).");
  spec.outputs = {{"status", SettingType::integer, "The HTTP status."},
                  {"headers", SettingType::object, "The answer's headers, names in lower case."},
                  {"body", SettingType::any,
                   "The body: parsed JSON, or text. Paginated: the items of every page, or the "
                   "list of pages."},
                  {"pages", SettingType::integer, "How many pages were read (1 unless paginated)."},
                  {"complete", SettingType::boolean,
                   "False when max_pages stopped the series before its last page."}};
  spec.side_effects = true; // unless the method only reads: the side-effects rule below
  spec.idempotent = false;
  return spec;
}

// A server may echo what it was sent (a debugging endpoint echoes the headers): a declared
// secret never reaches the node's output.
void hide_secrets(HttpResponse& response, const std::vector<Secret>& secrets) {
  if (secrets.empty())
    return;
  std::vector<std::string> values;
  for (const Secret& secret : secrets)
    values.push_back(secret.reveal());
  response.body = redact(response.body, values);
  for (HttpHeader& header : response.headers)
    header.value = redact(header.value, values);
}

// One send of a copy of `request` through the engine's client, its failures as node errors.
asio::awaitable<HttpResponse> send_once(Context& ctx, const HttpRequest& request,
                                        std::size_t max_bytes) {
  try {
    co_return co_await ctx.http().send(HttpRequest(request));
  } catch (const std::invalid_argument& e) {
    throw NodeError(ErrorCategory::invalid_input, e.what());
  } catch (const HttpError& e) {
    throw failure_of(e, describe(request), max_bytes);
  }
}

struct Answer {
  HttpResponse response;
  std::string url; // what was finally asked, after redirects: later URLs resolve against it
};

// An answer whose status `expect_status` allows, after following redirects and waiting out
// 429 / 503 when the request may be repeated; any other status fails the node.
asio::awaitable<Answer> fetch(Context& ctx, const RequestSettings& settings, HttpRequest request) {
  for (int waits = 0, redirects = 0;;) {
    const std::string url = effective_url(request);
    HttpResponse response = co_await send_once(ctx, request, settings.max_bytes);
    hide_secrets(response, request.secrets);

    const std::string location = response.header("Location");
    if (is_redirect(response.status) && !location.empty() && settings.follow_redirects > 0) {
      if (redirects++ == settings.follow_redirects)
        throw NodeError(ErrorCategory::permanent,
                        describe(request) + ": more than " +
                            std::to_string(settings.follow_redirects) + " redirects",
                        "Raise follow_redirects, or set it to 0 to take a redirect as the answer.");
      std::string target;
      try {
        target = resolve_reference(url, location);
      } catch (const std::invalid_argument&) {
        throw NodeError(ErrorCategory::permanent,
                        describe(request) + ": the redirect's Location is not a URL");
      }
      retarget(request, url, target);
      // 303, and 301/302 after a POST (as browsers do): the target is read with GET.
      if (response.status == 303 ||
          ((response.status == 301 || response.status == 302) && request.method == "POST")) {
        if (request.method != "HEAD")
          request.method = "GET";
        request.body.clear();
        request.idempotent = true;
        std::erase_if(request.headers,
                      [](const HttpHeader& h) { return ascii::iequals(h.name, "Content-Type"); });
      }
      continue;
    }

    const bool allowed =
        std::any_of(settings.expect.begin(), settings.expect.end(),
                    [&](const StatusRule& rule) { return rule.allows(response.status); });
    if (allowed)
      co_return Answer{std::move(response), url};

    const auto retry_after =
        parse_retry_after(response.header("Retry-After"), std::chrono::system_clock::now());
    const bool may_wait = (response.status == 429 || response.status == 503) &&
                          request.idempotent && waits < settings.max_retries;
    if (may_wait) {
      const milliseconds wait =
          std::min(retry_after.value_or(milliseconds(500 << waits)), milliseconds(60'000));
      ++waits;
      ctx.log(LogLevel::info, describe(request) + ": HTTP " + std::to_string(response.status) +
                                  ", waiting " + std::to_string(wait.count()) + " ms");
      asio::steady_timer timer(co_await asio::this_coro::executor, wait);
      co_await timer.async_wait(asio::use_awaitable);
      continue;
    }
    throw NodeError(category_of(response.status),
                    describe(request) + " answered HTTP " + std::to_string(response.status),
                    response.status == 401 || response.status == 403
                        ? "Check the connection or the credentials the request carries."
                        : "",
                    retry_after);
  }
}

Value output(const HttpResponse& last, Value body, int pages, bool complete) {
  return Object{{"status", Value(std::int64_t{last.status})},
                {"headers", headers_object(last)},
                {"body", std::move(body)},
                {"pages", Value(std::int64_t{pages})},
                {"complete", Value(complete)}};
}

// Where the page after `answer` is: a URL, or a cursor; none when this was the last.
std::optional<std::string> next_page(const Pagination& paging, const Answer& answer,
                                     const Value& body) {
  if (paging.style == PageStyle::link_header) {
    const auto link = next_link(answer.response);
    return link ? std::optional(resolve_reference(answer.url, *link)) : std::nullopt;
  }
  const Value* next = body.find(paging.next);
  if (next == nullptr)
    return std::nullopt;
  if (next->is_int() && paging.style == PageStyle::cursor)
    return next->to_json();
  if (!next->is_string() || next->as_string().empty())
    return std::nullopt;
  if (paging.style == PageStyle::cursor)
    return std::string(next->as_string());
  return resolve_reference(answer.url, next->as_string());
}

asio::awaitable<Value> run_pages(Context& ctx, const RequestSettings& settings) {
  const Pagination& paging = settings.paginate;
  HttpRequest request = settings.request;
  const std::string what = describe(request);
  Array collected;
  std::set<std::string> followed{effective_url(request)}; // URLs or cursors
  for (int pages = 1;; ++pages) {
    Answer answer = co_await fetch(ctx, settings, request);
    Value body = read_body(answer.response, settings.response, request);
    bool empty = false;
    if (paging.items) {
      const Value* items = body.find(*paging.items);
      if (items != nullptr && items->is_array()) {
        collected.insert(collected.end(), items->as_array().begin(), items->as_array().end());
        empty = items->as_array().empty();
      } else if (items == nullptr || items->is_null()) {
        empty = true; // an API may leave the list out of an empty page
      } else {
        throw NodeError(ErrorCategory::permanent,
                        what + ": page " + std::to_string(pages) + " has no list at `" +
                            paging.items->to_string() + "`",
                        "Check paginate.items against an answer of the API.");
      }
    } else {
      empty = body.is_null() || (body.is_array() && body.as_array().empty());
      collected.push_back(body);
    }

    const std::optional<std::string> next = empty ? std::nullopt : next_page(paging, answer, body);
    if (!next)
      co_return output(answer.response, Value(std::move(collected)), pages, true);
    if (!followed.insert(*next).second) {
      ctx.log(LogLevel::warning, what + ": page " + std::to_string(pages) +
                                     " points back to a page already read; stopping there");
      co_return output(answer.response, Value(std::move(collected)), pages, true);
    }
    if (pages == paging.max_pages) {
      ctx.log(LogLevel::warning, what + ": stopped after max_pages (" +
                                     std::to_string(paging.max_pages) +
                                     ") pages; the API has more (output complete: false)");
      co_return output(answer.response, Value(std::move(collected)), pages, false);
    }
    if (paging.style == PageStyle::cursor) {
      std::erase_if(request.query,
                    [&](const auto& field) { return field.first == paging.cursor_param; });
      request.query.emplace_back(paging.cursor_param, *next);
    } else {
      retarget(request, answer.url, *next);
    }
  }
}

// The connection named by the `connection` setting, read on the blocking pool (the store is
// an SQLCipher file).
asio::awaitable<Connection> find_connection(Context& ctx, const std::string& name) {
  std::optional<Connection> connection;
  try {
    CredentialStore& store = ctx.credentials();
    auto find = [&store, &name] {
      std::optional<Connection> found = store.find(name);
      if (found)
        store.record_use(name);
      return found;
    };
    connection = co_await run_blocking(ctx.blocking_executor(), find);
  } catch (const CredentialError& e) {
    throw NodeError(ErrorCategory::permanent, e.what());
  }
  if (!connection)
    throw NodeError(ErrorCategory::invalid_input, "no connection named '" + name + "'",
                    "Store one with: sluice connect token " + name +
                        " (see: sluice connections list)");
  co_return std::move(*connection);
}

asio::awaitable<Value> run_request(Context& ctx) {
  RequestSettings settings = read_request_settings(ctx.settings());
  if (!settings.connection.empty()) {
    const Connection connection = co_await find_connection(ctx, settings.connection);
    authorise(settings.request, connection);
  }
  if (settings.paginate.style != PageStyle::none)
    co_return co_await run_pages(ctx, settings);
  Answer answer = co_await fetch(ctx, settings, settings.request);
  Value body = read_body(answer.response, settings.response, settings.request);
  co_return output(answer.response, std::move(body), 1, true);
}

} // namespace

void register_request_node(Registrar& registrar) {
  NodeType type;
  type.spec = request_spec();
  type.run_async = run_request;
  registrar.add(std::move(type));
  registrar.add_settings_check("http.request", check_request_settings);
  // GET, HEAD and OPTIONS only read (RFC 9110 9.2.1); every other method may change something.
  registrar.add_side_effects_rule("http.request", {"method", {"GET", "HEAD", "OPTIONS"}});
  // It sends through Context::http() alone: a dry run shows what it would send.
  registrar.declare_reach("http.request", Reach::http_only);
}

} // namespace sluice::http_plugin
