// The server side of the emulator: tracking ids, rate limits, TLS, fault injection,
// counters and shutdown, all against the real binary over loopback.

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>
#include <unistd.h>

using namespace sluice::zoom_emulator::test;
using sluice::Value;

namespace {

// A throw-away directory with a self-signed certificate for 127.0.0.1 / localhost.
struct TemporaryCertificate {
  std::filesystem::path directory;
  std::string cert;
  std::string key;

  TemporaryCertificate() {
    directory = std::filesystem::temp_directory_path() /
                ("sluice-zoom-emulator-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    cert = (directory / "cert.pem").string();
    key = (directory / "key.pem").string();
    const std::string command =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
        key + "' -out '" + cert + "' >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
  }
  ~TemporaryCertificate() {
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }
};

void set_faults(HttpClient& client, const std::string& json) {
  const HttpResult answer =
      client.request("POST", "/_emulator/faults", json, {{"Content-Type", "application/json"}});
  REQUIRE(answer.status == 200);
}

Value counters(std::uint16_t port) {
  HttpClient fresh(port); // a new connection: faults may have closed the old one
  return fresh.request("GET", "/_emulator/counters").json();
}

// What a raw client sees after sending `bytes` on a fresh connection: the server's first
// bytes, "EOF", "reset", or "timeout" when nothing came within `wait`.
std::string first_reaction(std::uint16_t port, const std::string& bytes,
                           std::chrono::seconds wait) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(bytes.size()));
  timeval timeout{};
  timeout.tv_sec = static_cast<time_t>(wait.count());
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  char buffer[256];
  const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
  const int error = errno;
  ::close(fd);
  if (got > 0)
    return std::string(buffer, static_cast<std::size_t>(got));
  if (got == 0)
    return "EOF";
  return error == ECONNRESET ? "reset" : "timeout";
}

} // namespace

TEST_CASE("every answer carries x-zm-trackingid, errors included") {
  EmulatorProcess emulator;
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  std::set<std::string> ids;
  for (const HttpResult& answer :
       {client.api("GET", "/v2/users/me", token), client.api("GET", "/v2/nothing", token),
        client.api("GET", "/v2/users/me", "bad"), client.request("POST", "/oauth/token"),
        client.request("GET", "/_emulator/counters")}) {
    CHECK_FALSE(answer.header("x-zm-trackingid").empty());
    ids.insert(answer.header("x-zm-trackingid"));
  }
  CHECK(ids.size() == 5);
}

TEST_CASE("per-second limits answer 429 with Zoom's headers and body (free plan)") {
  EmulatorProcess emulator({"--plan", "free"});
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  std::optional<HttpResult> limited;
  for (int i = 0; i < 12 && !limited; ++i) {
    HttpResult answer = client.api("GET", "/v2/users/me", token);
    if (answer.status == 429)
      limited = std::move(answer);
    else
      CHECK(answer.header("x-ratelimit-category") == "Light");
  }
  REQUIRE(limited);
  CHECK(limited->header("x-ratelimit-category") == "Light");
  CHECK(limited->header("x-ratelimit-type") == "QPS");
  CHECK(limited->header("x-ratelimit-limit") == "4");
  CHECK(limited->header("x-ratelimit-remaining") == "0");
  CHECK_FALSE(limited->header("retry-after").empty());
  CHECK(limited->json()["code"] == Value(429));
  CHECK(limited->json()["message"].as_string().find("per-second") != std::string::npos);
}

TEST_CASE("--no-rate-limits lifts the plan's limits") {
  EmulatorProcess emulator({"--plan", "free", "--no-rate-limits"});
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  for (int i = 0; i < 12; ++i)
    CHECK(client.api("GET", "/v2/users/me", token).status == 200);
}

TEST_CASE("a host may create or update 100 meetings a day, then 429 Daily-limit") {
  EmulatorProcess emulator({"--plan", "business"});
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  int created = 0;
  for (int attempt = 0; attempt < 400 && created < 100; ++attempt) {
    const HttpResult answer = client.api("POST", "/v2/users/me/meetings", token, "{}");
    if (answer.status == 201) {
      ++created;
    } else {
      REQUIRE(answer.header("x-ratelimit-type") == "QPS"); // business: 80/s, wait it out
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  REQUIRE(created == 100);
  HttpResult daily;
  for (int attempt = 0; attempt < 100; ++attempt) {
    daily = client.api("POST", "/v2/users/me/meetings", token, "{}");
    if (daily.header("x-ratelimit-type") != "QPS")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(daily.status == 429);
  CHECK(daily.header("x-ratelimit-type") == "Daily-limit");
  CHECK(daily.header("retry-after").find("T00:00:00Z") != std::string::npos);
  CHECK(daily.json()["message"].as_string().find("(100)") != std::string::npos);
  CHECK(counters(emulator.port())["meetings_created"] == Value(100));
}

TEST_CASE("HTTPS with a certificate generated at test time") {
  TemporaryCertificate certificate;
  EmulatorProcess emulator({"--tls-cert", certificate.cert, "--tls-key", certificate.key});
  CHECK(emulator.url().rfind("https://127.0.0.1:", 0) == 0);
  HttpClient client(emulator.port(), true, certificate.cert);
  const std::string token = s2s_access_token(client);
  for (int i = 0; i < 3; ++i) { // several requests on one kept-alive TLS connection
    const HttpResult answer = client.api("GET", "/v2/users/me", token);
    CHECK(answer.status == 200);
    CHECK_FALSE(answer.header("x-zm-trackingid").empty());
  }
  HttpClient unverified(emulator.port(), true); // no CA: the self-signed cert is refused
  CHECK_THROWS(unverified.request("GET", "/_emulator/counters"));
}

TEST_CASE("closed before reading: the connection drops before the body is read") {
  EmulatorProcess emulator;
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  set_faults(client,
             R"([{"kind":"close_before_processing","method":"POST","path":"/v2/users","nth":1}])");
  // Headers announce a body that never comes: a server that reads the request before
  // dropping it would wait for the body (30 s idle timeout); this one hangs up at once.
  const std::string head = "POST /v2/users/me/meetings HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Authorization: Bearer " +
                           token +
                           "\r\nContent-Type: application/json\r\n"
                           "Content-Length: 100\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  const std::string reaction = first_reaction(emulator.port(), head, std::chrono::seconds(10));
  CHECK((reaction == "EOF" || reaction == "reset"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  const Value numbers = counters(emulator.port());
  CHECK(numbers["meetings_created"] == Value(0));
  CHECK(numbers["requests_per_route"]["POST /v2/users/{userId}/meetings"] == Value(1));

  // Only the Nth request: the next one, sent whole, is read and answered.
  HttpClient fresh(emulator.port());
  CHECK(fresh.api("POST", "/v2/users/me/meetings", token, R"({"topic":"x"})").status == 201);
  // A request waiting for 100 Continue gets no answer either when it is dropped.
  set_faults(fresh, R"([{"kind":"close_before_processing","method":"POST","nth":1}])");
  const std::string reaction_to_expect =
      first_reaction(emulator.port(),
                     "POST /v2/users/me/meetings HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Authorization: Bearer " +
                         token + "\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
                     std::chrono::seconds(10));
  CHECK((reaction_to_expect == "EOF" || reaction_to_expect == "reset"));
  CHECK(counters(emulator.port())["meetings_created"] == Value(1));
}

TEST_CASE("fault injection") {
  EmulatorProcess emulator;
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  const std::string create = "/v2/users/me/meetings";

  SUBCASE("5xx on the Nth matching request only") {
    set_faults(client, R"({"faults":[{"kind":"status","status":503,"code":503,)"
                       R"("method":"POST","path":"/v2/users","nth":2}]})");
    CHECK(client.api("POST", create, token, "{}").status == 201);
    const HttpResult failed = client.api("POST", create, token, "{}");
    CHECK(failed.status == 503);
    CHECK(failed.json()["code"] == Value(503));
    CHECK(client.api("POST", create, token, "{}").status == 201);
    CHECK(counters(emulator.port())["meetings_created"] == Value(2));
  }
  SUBCASE("closed after processing, before answering: the meeting exists") {
    set_faults(client, R"([{"kind":"close_after_processing","method":"POST","times":1}])");
    CHECK(client.api("POST", create, token, "{}").connection_lost);
    CHECK(counters(emulator.port())["meetings_created"] == Value(1));
    CHECK(client.api("GET", create, token).json()["total_records"] == Value(1));
  }
  SUBCASE("closed before processing: nothing happened") {
    set_faults(client, R"([{"kind":"close_before_processing","method":"POST","times":1}])");
    CHECK(client.api("POST", create, token, "{}").connection_lost);
    const Value numbers = counters(emulator.port());
    CHECK(numbers["meetings_created"] == Value(0));
    CHECK(numbers["requests_per_route"]["POST /v2/users/{userId}/meetings"] == Value(1));
  }
  SUBCASE("partial body") {
    set_faults(client, R"([{"kind":"partial_body","path":"/v2/users/me","times":1}])");
    CHECK(client.api("GET", "/v2/users/me", token).connection_lost);
    CHECK(client.api("GET", "/v2/users/me", token).status == 200);
  }
  SUBCASE("slow body") {
    set_faults(client, R"([{"kind":"slow_body","ms":400,"path":"/v2/users/me","times":1}])");
    const auto start = std::chrono::steady_clock::now();
    const HttpResult answer = client.api("GET", "/v2/users/me", token);
    CHECK(answer.status == 200);
    CHECK(answer.json()["email"] == Value("emulator.user@example.com"));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(400));
    CHECK(client.api("GET", "/v2/users/me", token).status == 200); // still kept alive
  }
  SUBCASE("malformed JSON body") {
    set_faults(client, R"([{"kind":"malformed_json","path":"/v2/users/me","times":1}])");
    const HttpResult answer = client.api("GET", "/v2/users/me", token);
    CHECK(answer.status == 200);
    CHECK_THROWS_AS(answer.json(), sluice::JsonError);
  }
  SUBCASE("latency") {
    set_faults(client, R"([{"kind":"latency","ms":300}])");
    const auto start = std::chrono::steady_clock::now();
    CHECK(client.api("GET", "/v2/users/me", token).status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
  }
  SUBCASE("429 storm") {
    set_faults(client, R"([{"kind":"rate_limit_storm","path":"/v2/","times":3}])");
    for (int i = 0; i < 3; ++i) {
      const HttpResult answer = client.api("GET", "/v2/users/me", token);
      CHECK(answer.status == 429);
      CHECK(answer.header("x-ratelimit-type") == "QPS");
    }
    CHECK(client.api("GET", "/v2/users/me", token).status == 200);
  }
  SUBCASE("early token expiry") {
    set_faults(client, R"([{"kind":"expire_token","nth":1}])");
    const HttpResult answer = client.api("GET", "/v2/users/me", token);
    CHECK(answer.status == 401);
    CHECK(answer.json()["message"] == Value("Access token is expired."));
  }
  SUBCASE("invalid specifications are refused") {
    const HttpResult answer =
        client.request("POST", "/_emulator/faults", R"([{"kind":"gremlins"}])");
    CHECK(answer.status == 400);
  }
}

TEST_CASE("--faults with a probability is reproducible with --seed") {
  const auto pattern = [] {
    EmulatorProcess emulator({"--faults", R"([{"kind":"status","status":500,"probability":0.5,)"
                                          R"("path":"/v2/"}])"});
    HttpClient client(emulator.port());
    const std::string token = s2s_access_token(client);
    std::string outcome;
    for (int i = 0; i < 24; ++i)
      outcome += client.api("GET", "/v2/users/me", token).status == 500 ? 'x' : '.';
    return outcome;
  };
  const std::string first = pattern();
  CHECK(first == pattern());
  CHECK(first.find('x') != std::string::npos);
  CHECK(first.find('.') != std::string::npos);
}

TEST_CASE("--faults @file reads the rules from a file") {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      std::string("sluice-zoom-faults-").append(std::to_string(::getpid())).append(".json");
  {
    std::ofstream out(file);
    out << R"({"faults":[{"kind":"status","status":502,"path":"/v2/","nth":1}]})";
  }
  EmulatorProcess emulator({"--faults", std::string("@").append(file.string())});
  std::filesystem::remove(file);
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  CHECK(client.api("GET", "/v2/users/me", token).status == 502);
  CHECK(client.api("GET", "/v2/users/me", token).status == 200);
}

TEST_CASE("--record-requests writes one JSON line per API request") {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("sluice-zoom-record-" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(file);
  {
    EmulatorProcess emulator({"--record-requests", file.string()});
    HttpClient client(emulator.port());
    const std::string token = s2s_access_token(client); // OAuth: not recorded
    CHECK(client.api("POST", "/v2/users/me/meetings", token, R"({"topic":"Recorded"})").status ==
          201);
    CHECK(client.api("GET", "/v2/users/me/meetings?page_size=2&type=upcoming", token).status ==
          200);
    CHECK(client.api("DELETE", "/v2/meetings/1", token).status == 404);
    CHECK(client.request("GET", "/_emulator/counters").status == 200); // not recorded
  }
  std::ifstream in(file);
  std::vector<Value> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(Value::parse_json(line));
  std::filesystem::remove(file);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["method"] == Value("POST"));
  CHECK(lines[0]["path"] == Value("/v2/users/me/meetings"));
  CHECK(lines[0]["query"] == Value(sluice::Object{}));
  CHECK(lines[0]["body"]["topic"] == Value("Recorded"));
  CHECK(lines[1]["query"]["page_size"] == Value("2"));
  CHECK(lines[1]["query"]["type"] == Value("upcoming"));
  CHECK(lines[1]["body"].is_null());
  CHECK(lines[2]["method"] == Value("DELETE"));
  CHECK(lines[2]["path"] == Value("/v2/meetings/1"));
}

TEST_CASE("a request with Expect: 100-continue gets its answer") {
  EmulatorProcess emulator;
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  const HttpResult answer =
      client.request("POST", "/v2/users/me/meetings", R"({"topic":"continue"})",
                     {{"Authorization", "Bearer " + token}, {"Expect", "100-continue"}});
  CHECK(answer.status == 201);
}

TEST_CASE("counters report requests per route and tokens issued") {
  EmulatorProcess emulator;
  HttpClient client(emulator.port());
  const std::string token = s2s_access_token(client);
  client.api("GET", "/v2/users/me", token);
  client.api("GET", "/v2/users/me", token);
  const Value numbers = counters(emulator.port());
  CHECK(numbers["tokens_issued"] == Value(1));
  CHECK(numbers["requests_per_route"]["GET /v2/users/{userId}"] == Value(2));
  CHECK(numbers["requests_per_route"]["POST /oauth/token"] == Value(1));
}

TEST_CASE("SIGTERM stops the emulator cleanly") {
  EmulatorProcess emulator;
  HttpClient client(emulator.port());
  CHECK(client.request("GET", "/_emulator/counters").status == 200);
  const int status = emulator.terminate();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
