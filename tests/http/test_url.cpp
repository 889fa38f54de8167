// Url::parse, and what the client refuses before touching the network.

#include "http_test_support.hpp"

#include <sluice/url.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

using sluice::Url;

namespace {

std::string parse_error(const std::string& text) {
  try {
    Url::parse(text);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  FAIL("'" << text << "' was accepted");
  return {};
}

} // namespace

TEST_CASE("Url::parse splits base URLs") {
  const Url zoom = Url::parse("https://API.zoom.us/v2/");
  CHECK(zoom.scheme == "https");
  CHECK(zoom.host == "api.zoom.us");
  CHECK(zoom.port == 443);
  CHECK(zoom.path == "/v2");
  CHECK(zoom.origin() == "https://api.zoom.us");
  CHECK(zoom.to_string() == "https://api.zoom.us/v2");
  CHECK_FALSE(zoom.is_loopback());

  const Url local = Url::parse("http://127.0.0.1:8080");
  CHECK(local.port == 8080);
  CHECK(local.path.empty());
  CHECK(local.origin() == "http://127.0.0.1:8080");
  CHECK(local.is_loopback());

  const Url ipv6 = Url::parse("https://[::1]:9443/base");
  CHECK(ipv6.host == "::1");
  CHECK(ipv6.origin() == "https://[::1]:9443");
  CHECK(ipv6.is_loopback());

  CHECK(Url::parse("http://localhost").is_loopback());
  CHECK(Url::parse("http://127.8.9.10:1").is_loopback());
  CHECK_FALSE(Url::parse("http://128.0.0.1").is_loopback());
  CHECK_FALSE(Url::parse("http://localhost.example.com").is_loopback());
}

TEST_CASE("Url::parse says what is wrong") {
  CHECK(parse_error("ftp://example.com").find("scheme 'ftp'") != std::string::npos);
  CHECK(parse_error("example.com/v2").find("scheme://host") != std::string::npos);
  CHECK(parse_error("https:///v2").find("no host") != std::string::npos);
  CHECK(parse_error("https://example.com:0").find("bad port '0'") != std::string::npos);
  CHECK(parse_error("https://example.com:65536").find("bad port") != std::string::npos);
  CHECK(parse_error("https://example.com:80x").find("bad port") != std::string::npos);
  CHECK(parse_error("https://example.com/v2?x=1").find("query") != std::string::npos);
  CHECK(parse_error("https://example.com/v2#top").find("fragment") != std::string::npos);
  CHECK(parse_error("https://[::1/v2").find("IPv6") != std::string::npos);
  CHECK(parse_error("https://exa mple.com").find("bad host") != std::string::npos);
  // User-info would put a password in messages and logs: refused, and not echoed.
  const std::string user_info = parse_error("https://user:hunter2@example.com");
  CHECK(user_info.find("user-info") != std::string::npos);
  CHECK(user_info.find("hunter2") == std::string::npos);
}

TEST_CASE("requests and options that can never work are refused up front") {
  boost::asio::io_context io;
  sluice::http::Client client({});
  const auto refusal = [&](sluice::HttpRequest request) -> std::string {
    try {
      sluice::http::test::run(io, client.send(std::move(request)));
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "accepted";
  };
  CHECK(refusal({.method = "FETCH", .url = "http://127.0.0.1:9/"}).find("unknown HTTP method") !=
        std::string::npos);
  CHECK(refusal({.method = "GET", .url = "http://127.0.0.1:9/a#b"}).find("fragment") !=
        std::string::npos);
  CHECK(refusal({.method = "GET", .url = "http://127.0.0.1:9/a b"}).find("percent-encoded") !=
        std::string::npos);
  CHECK(refusal({.method = "GET", .url = "https://127.0.0.1:9/", .ca_file = "/no/such/ca.pem"})
            .find("/no/such/ca.pem") != std::string::npos);
  CHECK(client.stats().connections_opened == 0);
}
