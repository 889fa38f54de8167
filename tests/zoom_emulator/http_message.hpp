#pragma once
// Plain request/response types shared by the router and the handlers. They carry no Beast
// types so that only the server translation units pay for Beast's templates.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::zoom_emulator {

struct Request {
  std::string method;                         // upper case, e.g. "GET"
  std::string target;                         // as received, path plus query
  std::string path;                           // percent-decoded path without the query
  std::map<std::string, std::string> query;   // decoded; the last occurrence of a key wins
  std::map<std::string, std::string> headers; // names in lower case
  std::string body;
  bool from_loopback = false;

  std::string_view header(std::string_view name) const;
  // The query parameter `name`, or nullptr.
  const std::string* query_param(const std::string& name) const;
};

// What the server should do with the connection besides answering; set by fault injection.
enum class ConnectionFault {
  none,
  close_before_reading,   // drop the connection without reading the request
  close_without_response, // process the request, then drop the connection unanswered
  partial_body,           // send the headers and half the body, then drop the connection
  not_http,               // process the request, answer with bytes that are not HTTP, hang up
};

struct Response {
  int status = 200;
  std::string content_type = "application/json;charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int delay_ms = 0;     // added latency before the answer is written
  int slow_body_ms = 0; // spread the body's delivery over this long
  ConnectionFault fault = ConnectionFault::none;

  void set_header(std::string name, std::string value);
};

} // namespace sluice::zoom_emulator
