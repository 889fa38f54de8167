#pragma once
// A small blocking HTTP(S) client for the tests: one keep-alive connection to 127.0.0.1.

#include <sluice/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace sluice::zoom_emulator::test {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers; // lower-case names
  std::string body;
  bool connection_lost = false; // the server closed without a complete answer

  std::string header(const std::string& name) const;
  Value json() const { return Value::parse_json(body); }
};

class HttpClient {
public:
  // With `tls`, the server certificate is verified against `ca_file` (if not empty).
  explicit HttpClient(std::uint16_t port, bool tls = false, std::string ca_file = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const std::map<std::string, std::string>& headers = {});
  // Shorthands for the API with a bearer token.
  HttpResult api(const std::string& method, const std::string& target, const std::string& token,
                 const std::string& body = {});

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace sluice::zoom_emulator::test
