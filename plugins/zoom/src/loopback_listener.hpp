#pragma once
// The redirect target of the authorization-code flow on a native machine (RFC 8252 §7.3):
// an HTTP listener on a loopback address that waits for the browser to bring back
// `?code=...&state=...`.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace sluice::zoom {

class LoopbackListener {
public:
  /// Listens on `host` (127.0.0.1, ::1 or localhost) at `port` (0: any free port).
  /// Throws std::runtime_error when it cannot.
  LoopbackListener(boost::asio::any_io_executor executor, const std::string& host,
                   std::uint16_t port);
  ~LoopbackListener();

  std::uint16_t port() const;

  /// The HTML page that answers the request for `path`, given its query parameters.
  using PageFor = std::function<std::string(const std::map<std::string, std::string>& query)>;

  /// Answers requests until one for `path` arrives, and returns its query parameters
  /// (decoded); that request is answered with `page_for(query)`. Other paths (a browser's
  /// /favicon.ico) get 404. Throws on timeout.
  boost::asio::awaitable<std::map<std::string, std::string>>
  wait_for(std::string path, std::chrono::seconds timeout, PageFor page_for);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Decodes an application/x-www-form-urlencoded query ("a=1&b=x%20y").
std::map<std::string, std::string> parse_query(const std::string& query);

} // namespace sluice::zoom
