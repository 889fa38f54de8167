// The client against the real sluice-zoom-emulator binary: HTTP and HTTPS, keep-alive,
// the per-origin connection bound, certificate and host-name verification, and the retry
// rule on connections the server drops after processing.

#include "emulator_process.hpp"
#include "http_test_support.hpp"

#include <sluice/value.hpp>

#include <doctest/doctest.h>

#include <vector>

using namespace sluice;
using namespace sluice::http;
using namespace sluice::http::test;
using sluice::zoom_emulator::test::EmulatorProcess;

namespace {

struct Emulator {
  EmulatorProcess process;
  asio::io_context io;
  Client client;
  std::string ca_file; // trusted for every request, in addition to the system's CAs

  explicit Emulator(std::vector<std::string> arguments, ClientOptions options = {},
                    std::string trusted_ca = {})
      : process(std::move(arguments)), client(std::move(options)), ca_file(std::move(trusted_ca)) {}

  std::string url(const std::string& path) const { return process.url() + path; }
  HttpResponse send(HttpRequest request) {
    request.ca_file = ca_file;
    return run(io, client.send(std::move(request)));
  }
  std::exception_ptr failure(HttpRequest request) {
    request.ca_file = ca_file;
    return failure_of(io, client.send(request));
  }

  // A Server-to-Server access token for the default client and account.
  std::string token() {
    const HttpResponse answer =
        send({.method = "POST",
              .url = url("/oauth/token"),
              .headers = {{"Authorization", "Basic ZW11bGF0b3ItY2xpZW50OmVtdWxhdG9yLXNlY3JldA=="},
                          {"Content-Type", "application/x-www-form-urlencoded"}},
              .body = "grant_type=account_credentials&account_id=emulator-account"});
    REQUIRE(answer.status == 200);
    return std::string(sluice::Value::parse_json(answer.body)["access_token"].as_string());
  }
  HttpRequest api(const std::string& method, const std::string& path, const std::string& token,
                  std::string body = {}) {
    HttpRequest request{.method = method,
                        .url = url(path),
                        .headers = {{"Authorization", "Bearer " + token}},
                        .body = std::move(body)};
    if (!request.body.empty())
      request.headers.push_back({"Content-Type", "application/json"});
    return request;
  }
  std::int64_t counter(const std::string& name) {
    const HttpResponse answer = send({.method = "GET", .url = url("/_emulator/counters")});
    return sluice::Value::parse_json(answer.body)[name].as_int();
  }
};

} // namespace

TEST_CASE("GET and POST over plain http to loopback, on one keep-alive connection") {
  Emulator emulator({"--no-rate-limits"});
  const std::string token = emulator.token();

  const HttpResponse created =
      emulator.send(emulator.api("POST", "/v2/users/me/meetings", token, R"({"topic":"Standup"})"));
  CHECK(created.status == 201);
  const sluice::Value meeting = sluice::Value::parse_json(created.body);
  CHECK(meeting["topic"].as_string() == "Standup");
  CHECK_FALSE(created.header("X-ZM-TRACKINGID").empty()); // case-insensitive lookup
  CHECK(created.header("no-such-header").empty());

  const std::string path = "/v2/meetings/" + std::to_string(meeting["id"].as_int());
  for (int i = 0; i < 5; ++i)
    CHECK(emulator.send(emulator.api("GET", path, token)).status == 200);
  const HttpResponse missing = emulator.send(emulator.api("GET", "/v2/meetings/1", token));
  CHECK(missing.status == 404); // an HTTP error status is a response, not an HttpError

  const Client::Stats stats = emulator.client.stats();
  CHECK(stats.requests_sent == 8);
  CHECK(stats.connections_opened == 1);
  CHECK(stats.reused == 7);
}

TEST_CASE("concurrent requests are bounded by max_connections_per_origin") {
  // Every API call takes 150 ms, so 6 calls over 2 connections need at least 3 rounds.
  Emulator emulator({"--no-rate-limits", "--faults",
                     R"([{"kind":"latency","path":"/v2/users/me","method":"GET","ms":150}])"},
                    ClientOptions{.max_connections_per_origin = 2});
  const std::string token = emulator.token();
  emulator.client.close_idle();

  std::vector<int> statuses;
  for (int i = 0; i < 6; ++i)
    asio::co_spawn(emulator.io, emulator.client.send(emulator.api("GET", "/v2/users/me", token)),
                   [&](std::exception_ptr error, HttpResponse response) {
                     statuses.push_back(error ? -1 : response.status);
                   });
  const auto start = std::chrono::steady_clock::now();
  emulator.io.restart();
  emulator.io.run();
  const auto elapsed = std::chrono::steady_clock::now() - start;

  CHECK(statuses == std::vector<int>(6, 200));
  const Client::Stats stats = emulator.client.stats();
  CHECK(stats.connections_opened == 3); // the token's (closed above), then exactly 2
  CHECK(stats.reused == 4);
  CHECK(elapsed >= std::chrono::milliseconds(3 * 150));
}

TEST_CASE("idle connections older than idle_timeout are not reused") {
  Emulator emulator({}, ClientOptions{.idle_timeout = std::chrono::seconds(1)});
  emulator.send({.method = "GET", .url = emulator.url("/_emulator/counters")});
  emulator.send({.method = "GET", .url = emulator.url("/_emulator/counters")});
  CHECK(emulator.client.stats().connections_opened == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  emulator.send({.method = "GET", .url = emulator.url("/_emulator/counters")});
  CHECK(emulator.client.stats().connections_opened == 2);
}

TEST_CASE("a reused connection dropped after processing: idempotent retried once, POST not") {
  // The 2nd GET of a user and the 1st create are processed, then the connection is dropped
  // without an answer: exactly what a server closing an idle keep-alive connection looks like.
  Emulator emulator(
      {"--no-rate-limits", "--faults",
       R"([{"kind":"close_after_processing","method":"GET","path":"/v2/users/me","nth":2},
           {"kind":"close_after_processing","method":"POST","path":"/v2/users/me/meetings",
            "nth":1}])"});
  const std::string token = emulator.token();

  CHECK(emulator.send(emulator.api("GET", "/v2/users/me", token)).status == 200);
  CHECK(emulator.send(emulator.api("GET", "/v2/users/me", token)).status == 200);
  Client::Stats stats = emulator.client.stats();
  CHECK(stats.connections_opened == 2);
  CHECK(stats.requests_sent == 4); // token, GET, GET (dropped), GET again

  HttpRequest create =
      emulator.api("POST", "/v2/users/me/meetings", token, R"({"topic":"Only once"})");
  create.idempotent = false;
  const HttpError error = as_http_error(emulator.failure(create));
  CHECK(error.stage() == HttpFailureStage::receive);
  CHECK(error.request_may_have_been_processed());
  CHECK_FALSE(error.timed_out());
  CHECK(std::string(error.what()).find("not idempotent") != std::string::npos);
  stats = emulator.client.stats();
  CHECK(stats.requests_sent == 5);                  // not resent
  CHECK(emulator.counter("meetings_created") == 1); // and the server did act on it
}

TEST_CASE("https with a certificate from a CA in ca_file, by IP address and by name") {
  const TestCertificates& certificates = TestCertificates::get();
  Emulator emulator({"--tls-cert", certificates.good_cert, "--tls-key", certificates.good_key}, {},
                    certificates.ca);
  REQUIRE(emulator.process.url().starts_with("https://127.0.0.1:"));
  const std::string token = emulator.token();
  CHECK(emulator.send(emulator.api("GET", "/v2/users/me", token)).status == 200);
  CHECK(emulator.send(emulator.api("GET", "/v2/users/me", token)).status == 200);
  CHECK(emulator.client.stats().connections_opened == 1); // keep-alive over TLS too

  const std::string by_name =
      "https://localhost:" + std::to_string(emulator.process.port()) + "/_emulator/counters";
  CHECK(emulator.send({.method = "GET", .url = by_name}).status == 200);
  CHECK(emulator.client.stats().connections_opened == 2); // another origin
}

TEST_CASE("https refuses a certificate from an unknown CA") {
  const TestCertificates& certificates = TestCertificates::get();
  Emulator emulator({"--tls-cert", certificates.self_cert, "--tls-key", certificates.self_key}, {},
                    certificates.ca);
  const HttpError error = as_http_error(
      emulator.failure({.method = "GET", .url = emulator.url("/_emulator/counters")}));
  CHECK(error.stage() == HttpFailureStage::tls_handshake);
  CHECK_FALSE(error.request_may_have_been_processed());
  CHECK(std::string(error.what()).find("self-signed certificate") != std::string::npos);

  // The same server is accepted without verification: the refusal came from verification.
  asio::io_context io;
  Client insecure(ClientOptions{.verify_tls = false});
  CHECK(run(io, insecure.send({.method = "GET", .url = emulator.url("/_emulator/counters")}))
            .status == 200);
}

TEST_CASE("https refuses a certificate for another host name") {
  const TestCertificates& certificates = TestCertificates::get();
  Emulator emulator({"--tls-cert", certificates.wrong_cert, "--tls-key", certificates.wrong_key},
                    {}, certificates.ca);
  const std::string port = std::to_string(emulator.process.port());
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    CAPTURE(host);
    const HttpError error = as_http_error(
        emulator.failure({.method = "GET", .url = "https://" + host + ":" + port + "/"}));
    CHECK(error.stage() == HttpFailureStage::tls_handshake);
    CHECK(std::string(error.what()).find("mismatch") != std::string::npos);
  }
}
