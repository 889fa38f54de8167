#pragma once
// What an `http.request` node's settings ask for, read and checked once per run of the node:
// the request to send, what counts as success, and how to read the answer.

#include <sluice/http.hpp>
#include <sluice/node.hpp>
#include <sluice/value.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace sluice::http_plugin {

enum class ResponseFormat { automatic, json, text };

/// One allowed status, or a class of them (`2xx`).
struct StatusRule {
  int low = 200;
  int high = 299;
  bool allows(int status) const noexcept { return status >= low && status <= high; }
};

/// How the next page is found (`paginate`).
enum class PageStyle { none, link_header, next_url, cursor };

struct Pagination {
  PageStyle style = PageStyle::none;
  Path next;                 ///< next_url / cursor: where in a page's body
  std::string cursor_param;  ///< cursor: the query parameter that sends it back
  std::optional<Path> items; ///< where each page's items are (".": the page); none: the pages
  int max_pages = 1;
};

struct RequestSettings {
  HttpRequest request;            ///< method, url, query, headers, body, timeout, idempotent
  std::vector<StatusRule> expect; ///< default: 2xx
  ResponseFormat response = ResponseFormat::automatic;
  std::size_t max_bytes = 16 << 20; ///< answers larger than this fail (permanent)
  int max_retries = 3;              ///< waits on 429 / 503 (idempotent requests only)
  int follow_redirects = 5;         ///< 0: a 3xx is an answer like any other
  std::string connection;           ///< a `token` connection that authorises the requests
  Pagination paginate;
};

/// Reads a node's resolved settings. Throws NodeError (invalid_input) listing every problem
/// found.
RequestSettings read_request_settings(const Value& settings);

/// The same rules at load time, on the settings written as literals (the settings check that
/// lets `sluice validate` point at a bad method or page rule with its file:line:column).
std::vector<SettingProblem> check_request_settings(const KnownSettings& known);

/// `GET`, `HEAD`, `OPTIONS`, `PUT` and `DELETE` are idempotent by definition (RFC 9110 §9.2.2);
/// `POST` and `PATCH` are not, unless the pipeline says so.
bool idempotent_by_method(const std::string& method) noexcept;

} // namespace sluice::http_plugin
