// http.request (plugins/http/src/request_node.cpp) end to end: a pipeline run in this process
// with the plugin loaded from disk, each case against a scripted server on 127.0.0.1 that
// records what it received.

#include "emulator_process.hpp"
#include "http_plugin_engine.hpp"
#include "http_test_support.hpp"

#include <sluice/engine.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <mutex>

using namespace sluice;
using sluice::http::test::ok_response;
using sluice::http::test::ScriptedServer;
using sluice::http::test::ServerConnection;
using sluice::http::test::TestCertificates;
using sluice::zoom_emulator::test::EmulatorProcess;
namespace asio = boost::asio;

namespace {

struct Harness {
  Harness() { sluice::http_plugin_test::load_http_plugin(engine); }
  RunResult run(const std::string& with) {
    const std::string yaml = "version: 1\nname: t\nnodes:\n  call:\n    type: http.request\n"
                             "    with: " +
                             with + "\n";
    return engine.run(engine.load_string(yaml));
  }
  Engine engine;
};

// The request's target: "/items?page=2".
std::string target_of(const std::string& request) {
  const std::size_t start = request.find(' ') + 1;
  return request.substr(start, request.find(' ', start) - start);
}

// A server that keeps the requests it read and answers each with what `answer` makes of it.
struct Recording {
  using Answer = std::function<std::string(const std::string& request, const Recording& self)>;
  explicit Recording(Answer answer)
      : answer_(std::move(answer)), server([this](ServerConnection& c) { return serve(c); }) {}
  // Answers with `answers` in turn, the last one repeating.
  explicit Recording(std::vector<std::string> answers)
      : Recording([answers](const std::string&, const Recording& self) {
          return answers[std::min(self.requests.size(), answers.size()) - 1];
        }) {}
  asio::awaitable<void> serve(ServerConnection& connection) {
    while (co_await connection.read_request()) {
      std::string answer;
      {
        std::lock_guard lock(mutex);
        requests.push_back(connection.request);
        answer = answer_(connection.request, *this);
      }
      co_await connection.write(answer);
    }
  }
  std::string url(const std::string& path = "/") const { return server.url(path); }
  std::mutex mutex;
  std::vector<std::string> requests;
  Answer answer_;
  ScriptedServer server;
};

std::string json_response(const std::string& body, const std::string& extra = {}) {
  return ok_response(body, "Content-Type: application/json\r\n" + extra);
}

std::string status_response(int status, const std::string& extra = {}) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\n" + extra + "\r\n";
}

} // namespace

TEST_CASE("a JSON GET with a query: status, lower-case headers and the parsed body") {
  Recording server({ok_response(R"({"items":[1,2]})", "Content-Type: application/json\r\n")});
  Harness harness;
  const RunResult result = harness.run("{ url: \"" + server.url("/v1/items") +
                                       "\", query: { page: 2, tag: [a, b c] } }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  const Value& output = result.node("call")->output;
  CHECK(output["status"] == Value(std::int64_t{200}));
  CHECK(output["headers"]["content-type"] == Value("application/json"));
  CHECK(output["body"]["items"][1] == Value(std::int64_t{2}));
  REQUIRE(server.requests.size() == 1);
  CHECK(server.requests[0].starts_with("GET /v1/items?page=2&tag=a&tag=b%20c HTTP/1.1\r\n"));
}

TEST_CASE("bodies: json and form, with their content types") {
  Recording server({ok_response("done", "Content-Type: text/plain\r\n")});
  Harness harness;
  RunResult result = harness.run("{ url: \"" + server.url() +
                                 "\", method: post, json: { name: Ada, n: [1, true] } }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(result.node("call")->output["body"] == Value("done"));
  result =
      harness.run("{ url: \"" + server.url() + "\", method: POST, form: { a: \"x y\", b: 3 } }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  REQUIRE(server.requests.size() == 2);
  CHECK(server.requests[0].find("Content-Type: application/json") != std::string::npos);
  CHECK(server.requests[0].ends_with(R"({"name":"Ada","n":[1,true]})"));
  CHECK(server.requests[1].find("Content-Type: application/x-www-form-urlencoded") !=
        std::string::npos);
  CHECK(server.requests[1].ends_with("a=x%20y&b=3"));
}

TEST_CASE("statuses outside expect_status fail with the category they deserve") {
  Harness harness;
  for (const auto& [status, category] :
       {std::pair{404, ErrorCategory::not_found}, std::pair{400, ErrorCategory::permanent},
        std::pair{403, ErrorCategory::permission}, std::pair{500, ErrorCategory::transient}}) {
    CAPTURE(status);
    Recording server({status_response(status)});
    const RunResult result = harness.run("{ url: \"" + server.url("/x?key=s3cret") + "\" }");
    REQUIRE(result.status == RunStatus::failed);
    CHECK(result.node("call")->category == category);
    CHECK(result.error.find("HTTP " + std::to_string(status)) != std::string::npos);
    CHECK(result.error.find("s3cret") == std::string::npos); // never the query
  }
  Recording server({status_response(404)});
  const RunResult allowed =
      harness.run("{ url: \"" + server.url() + "\", expect_status: [2xx, 404] }");
  REQUIRE_MESSAGE(allowed.ok(), allowed.error);
  CHECK(allowed.node("call")->output["status"] == Value(std::int64_t{404}));
}

TEST_CASE("429 is waited out for a GET, never for a POST") {
  Recording get({status_response(429, "Retry-After: 0\r\n"),
                 ok_response("{}", "Content-Type: application/json\r\n")});
  Harness harness;
  const RunResult result = harness.run("{ url: \"" + get.url() + "\" }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(get.requests.size() == 2);

  Recording post({status_response(429, "Retry-After: 0\r\n"), ok_response("{}")});
  const RunResult refused = harness.run("{ url: \"" + post.url() + "\", method: POST, json: {} }");
  CHECK(refused.status == RunStatus::failed);
  CHECK(refused.node("call")->category == ErrorCategory::rate_limited);
  CHECK(post.requests.size() == 1);
}

TEST_CASE("bad literal settings are load errors, each at its line and column") {
  Harness harness;
  std::vector<std::string> errors;
  try {
    (void)harness.engine.load_string("version: 1\nnodes:\n  call:\n    type: http.request\n"
                                     "    with:\n      url: https://example.com/\n"
                                     "      method: FETCH\n      json: {}\n      text: x\n"
                                     "      response: xml\n      expect_status: 7xx\n");
  } catch (const LoadError& e) {
    for (const Diagnostic& diagnostic : e.diagnostics())
      errors.push_back(diagnostic.to_string());
  }
  const auto has = [&](const std::string& text) {
    return std::any_of(errors.begin(), errors.end(),
                       [&](const std::string& e) { return e.find(text) != std::string::npos; });
  };
  CHECK(errors.size() == 4);
  CHECK(has(":7:15: error: setting 'method' of http.request: 'FETCH' is not one of"));
  CHECK(has(":8:13: error: setting 'json' of http.request: json, form and text"));
  CHECK(has(":10:17: error: setting 'response' of http.request: 'xml' is not one of"));
  CHECK(has(":11:22: error: setting 'expect_status' of http.request: '\"7xx\"'"));
}

TEST_CASE("a bad templated setting fails the run before anything is sent") {
  Recording server({ok_response("{}")});
  Harness harness;
  const Pipeline pipeline = harness.engine.load_string(
      "version: 1\ninputs:\n  m: { type: string }\nnodes:\n  call:\n    type: http.request\n"
      "    with: { url: \"" +
      server.url() + "\", method: \"{{ inputs.m }}\", response: \"{{ inputs.m }}\" }\n");
  RunOptions options;
  options.inputs = Object{{"m", Value("FETCH")}};
  const RunResult result = harness.engine.run(pipeline, std::move(options));
  REQUIRE(result.status == RunStatus::failed);
  CHECK(result.node("call")->category == ErrorCategory::invalid_input);
  CHECK(result.error.find("method: 'FETCH' is not one of") != std::string::npos);
  CHECK(result.error.find("response: 'FETCH' is not one of") != std::string::npos);
  CHECK(server.requests.empty());
}

TEST_CASE("pagination by Link header: relative links followed, each page's items collected") {
  Recording server([](const std::string& request, const Recording&) {
    const std::string target = target_of(request);
    if (target == "/v1/items?per_page=2")
      return json_response(R"({"items":[1,2]})", "Link: </v1/items?per_page=2&page=2>; "
                                                 "rel=\"next\", </v1/items?page=9>; rel=last\r\n");
    if (target == "/v1/items?per_page=2&page=2")
      return json_response(R"({"items":[3,4]})",
                           "Link: <items?per_page=2&page=3>; rel=\"prev next\"\r\n");
    return json_response(R"({"items":[5]})", "Link: </v1/items?per_page=2>; rel=\"first\"\r\n");
  });
  Harness harness;
  const RunResult result =
      harness.run("{ url: \"" + server.url("/v1/items") +
                  "\", query: { per_page: 2 }, paginate: { link_header: true, items: items, "
                  "max_pages: 10 } }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  const Value& output = result.node("call")->output;
  CHECK(output["body"] == Value::parse_json("[1,2,3,4,5]"));
  CHECK(output["pages"] == Value(std::int64_t{3}));
  CHECK(output["complete"] == Value(true));
  REQUIRE(server.requests.size() == 3);
  CHECK(target_of(server.requests[2]) == "/v1/items?per_page=2&page=3");
}

TEST_CASE("pagination by a next-URL field, stopped by max_pages, which the output says") {
  Recording server([](const std::string& request, const Recording& self) {
    const std::string n = std::to_string(self.requests.size());
    (void)request;
    return json_response(R"({"data":[")" + n + R"("],"links":{"next":"/list?after=)" + n +
                         R"("}})");
  });
  Harness harness;
  const RunResult result =
      harness.run("{ url: \"" + server.url("/list") +
                  "\", paginate: { next_url: links.next, items: data, max_pages: 3 } }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  const Value& output = result.node("call")->output;
  CHECK(output["body"] == Value::parse_json(R"(["1","2","3"])"));
  CHECK(output["pages"] == Value(std::int64_t{3}));
  CHECK(output["complete"] == Value(false)); // the third page still pointed further
  CHECK(server.requests.size() == 3);
  CHECK(target_of(server.requests[1]) == "/list?after=1");
}

TEST_CASE("pagination by cursor: sent back as a query parameter; a repeat or an empty page stops") {
  // Zoom's style: next_page_token, empty on the last page.
  Recording server([](const std::string& request, const Recording&) {
    const std::string target = target_of(request);
    if (target == "/meetings?page_size=2")
      return json_response(R"({"meetings":[{"id":1},{"id":2}],"next_page_token":"t2"})");
    if (target == "/meetings?page_size=2&next_page_token=t2")
      return json_response(R"({"meetings":[{"id":3}],"next_page_token":""})");
    return json_response(R"({"meetings":[]})");
  });
  Harness harness;
  RunResult result = harness.run("{ url: \"" + server.url("/meetings") +
                                 "\", query: { page_size: 2 }, paginate: { cursor: "
                                 "next_page_token, items: meetings, max_pages: 50 } }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(result.node("call")->output["body"] ==
        Value::parse_json(R"([{"id":1},{"id":2},{"id":3}])"));
  CHECK(server.requests.size() == 2);

  // A cursor that comes back again would loop: the series ends at the repeat.
  Recording looping({json_response(R"({"page":{"cursor":7},"rows":[1]})")});
  result = harness.run("{ url: \"" + looping.url("/rows") +
                       "\", paginate: { cursor: page.cursor, cursor_param: from, items: rows, "
                       "max_pages: 50 } }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(result.node("call")->output["body"] == Value::parse_json("[1,1]"));
  REQUIRE(looping.requests.size() == 2);
  CHECK(target_of(looping.requests[1]) == "/rows?from=7");

  // Without items, the pages themselves; an empty page ends the series.
  Recording emptying({json_response(R"([{"a":1}])"), json_response("[]")});
  result = harness.run("{ url: \"" + emptying.url("/p") +
                       "\", paginate: { cursor: \"[0].a\", cursor_param: a, max_pages: 5 } }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(result.node("call")->output["body"] == Value::parse_json(R"([[{"a":1}],[]])"));
  CHECK(emptying.requests.size() == 2);
}

TEST_CASE("pagination settings are checked: one style, a max_pages, paths that parse") {
  Harness harness;
  std::string errors;
  try {
    (void)harness.engine.load_string(
        "version: 1\nnodes:\n  call:\n    type: http.request\n    with: { url: "
        "\"https://example.com/\", paginate: { link_header: true, cursor: a, items: \"b[\", "
        "pages: 3 } }\n");
  } catch (const LoadError& e) {
    errors = e.what();
  }
  for (const char* part : {"exactly one of", "'paginate.max_pages' of http.request: required",
                           "'paginate.items'", "'paginate.pages' of http.request: unknown"})
    CHECK_MESSAGE(errors.find(part) != std::string::npos, part);
}

TEST_CASE("redirects: same origin keeps credentials, another origin never sees them") {
  Recording elsewhere({json_response(R"({"where":"elsewhere"})")});
  Recording server([&elsewhere](const std::string& request, const Recording&) {
    const std::string target = target_of(request);
    if (target == "/old")
      return std::string("HTTP/1.1 301 Moved\r\nLocation: /new?x=1\r\nContent-Length: 0\r\n\r\n");
    if (target == "/new?x=1")
      return json_response(R"({"where":"new"})");
    if (target == "/away")
      return "HTTP/1.1 307 Moved\r\nLocation: " + elsewhere.url("/there") +
             "\r\nContent-Length: 0\r\n\r\n";
    if (target == "/form")
      return std::string(
          "HTTP/1.1 303 See Other\r\nLocation: /new?x=1\r\nContent-Length: 0\r\n\r\n");
    return std::string("HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
  });
  Harness harness;
  const std::string headers = ", headers: { Authorization: Bearer tok-1, X-Trace: t } }";
  RunResult result = harness.run("{ url: \"" + server.url("/old") + "\"" + headers);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(result.node("call")->output["body"]["where"] == Value("new"));
  REQUIRE(server.requests.size() == 2);
  CHECK(server.requests[1].find("Authorization: Bearer tok-1") != std::string::npos);

  result = harness.run("{ url: \"" + server.url("/away") + "\"" + headers);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(result.node("call")->output["body"]["where"] == Value("elsewhere"));
  REQUIRE(elsewhere.requests.size() == 1);
  CHECK(elsewhere.requests[0].find("tok-1") == std::string::npos);
  CHECK(elsewhere.requests[0].find("X-Trace: t") != std::string::npos);

  // 303 after a POST: the target is read with GET and without the body.
  result = harness.run("{ url: \"" + server.url("/form") + "\", method: POST, json: { a: 1 } }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(server.requests.back().starts_with("GET /new?x=1 "));
  CHECK(server.requests.back().find("Content-Type") == std::string::npos);

  const std::size_t before = server.requests.size();
  result = harness.run("{ url: \"" + server.url("/loop") + "\", follow_redirects: 3 }");
  REQUIRE(result.status == RunStatus::failed);
  CHECK(result.error.find("more than 3 redirects") != std::string::npos);
  CHECK(server.requests.size() - before == 4);

  result = harness.run("{ url: \"" + server.url("/loop") +
                       "\", follow_redirects: 0, "
                       "expect_status: 3xx }");
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(result.node("call")->output["headers"]["location"] == Value("/loop"));
}

TEST_CASE("an endless body is cut at max_bytes") {
  ScriptedServer endless([](ServerConnection& connection) -> asio::awaitable<void> {
    if (!co_await connection.read_request())
      co_return;
    co_await connection.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "1000\r\n" + std::string(4096, 'x') + "\r\n";
    for (int i = 0; i < 100'000; ++i) // 400 MB: far more than any limit here
      co_await connection.write(chunk);
  });
  Harness harness;
  const RunResult result =
      harness.run("{ url: \"" + endless.url() + "\", max_bytes: 100000, timeout: 20s }");
  REQUIRE(result.status == RunStatus::failed);
  CHECK(result.node("call")->category == ErrorCategory::permanent);
  CHECK(result.error.find("larger than max_bytes (100000 bytes)") != std::string::npos);
}

TEST_CASE("https: a private CA in ca_file is trusted; an unknown certificate is refused") {
  const TestCertificates& certificates = TestCertificates::get();
  Harness harness;
  {
    EmulatorProcess emulator(
        {"--tls-cert", certificates.good_cert, "--tls-key", certificates.good_key});
    const std::string url = emulator.url() + "/_emulator/counters";
    REQUIRE(url.starts_with("https://"));
    RunResult result =
        harness.run("{ url: \"" + url + "\", ca_file: \"" + certificates.ca + "\" }");
    REQUIRE_MESSAGE(result.ok(), result.error);
    CHECK(result.node("call")->output["body"].is_object());

    result = harness.run("{ url: \"" + url + "\" }"); // the system CAs alone do not know it
    REQUIRE(result.status == RunStatus::failed);
    CHECK(result.node("call")->category == ErrorCategory::permanent);
    CHECK(result.error.find("TLS handshake") != std::string::npos);
    CHECK(result.error.find("ca_file") != std::string::npos); // the hint
  }
  EmulatorProcess wrong(
      {"--tls-cert", certificates.wrong_cert, "--tls-key", certificates.wrong_key});
  const RunResult result = harness.run("{ url: \"" + wrong.url() +
                                       "/_emulator/counters\", "
                                       "ca_file: \"" +
                                       certificates.ca + "\" }");
  REQUIRE(result.status == RunStatus::failed);
  CHECK(result.node("call")->category == ErrorCategory::permanent);
}

TEST_CASE("pipelines/http_open_issues.yaml reads every page of a GitHub-shaped API") {
  Recording github([](const std::string& request, const Recording& self) {
    const std::string target = target_of(request);
    const std::string first = "/repos/octo/demo/issues?state=open&labels=bug&per_page=100";
    if (target == first)
      return json_response(R"([{"number":7,"title":"Crash on start","user":{"login":"ada"}},)"
                           R"({"number":5,"title":"Typo","user":{"login":"grace"}}])",
                           "Link: <" + self.url(first + "&page=2") + ">; rel=\"next\", <" +
                               self.url(first + "&page=2") + ">; rel=\"last\"\r\n");
    if (target == first + "&page=2")
      return json_response(R"([{"number":2,"title":"Slow","user":{"login":"linus"}}])");
    return status_response(404);
  });
  Harness harness;
  const Pipeline pipeline =
      harness.engine.load_file(std::string(SLUICE_SOURCE_DIR) + "/pipelines/http_open_issues.yaml");
  RunOptions options;
  std::string api = github.url("");
  options.inputs = Object{{"api", Value(api)}, {"repository", Value("octo/demo")}};
  const RunResult result = harness.engine.run(pipeline, std::move(options));
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(result.outputs["pages"] == Value(std::int64_t{2}));
  CHECK(result.outputs["complete"] == Value(true));
  const Value& issues = result.outputs["issues"];
  REQUIRE(issues.is_array());
  REQUIRE(issues.as_array().size() == 3);
  CHECK(issues[0]["text"] == Value("#7  Crash on start  (ada)"));
  CHECK(issues[2]["text"] == Value("#2  Slow  (linus)"));
  CHECK(github.requests[0].find("Accept: application/vnd.github+json") != std::string::npos);
}

TEST_CASE(
    "side effects: none for GET, HEAD and OPTIONS written as literals; any other method has") {
  Harness harness;
  const auto rule = harness.engine.find_side_effects_rule("http.request");
  REQUIRE(rule.has_value());
  CHECK(rule->setting == "method");
  const Pipeline pipeline = harness.engine.load_string(R"(version: 1
inputs:
  method: { type: string, default: GET }
nodes:
  read: { type: http.request, with: { url: "https://example.com/" } }
  head: { type: http.request, with: { url: "https://example.com/", method: head } }
  create: { type: http.request, with: { url: "https://example.com/", method: POST, json: {} } }
  remove: { type: http.request, with: { url: "https://example.com/", method: DELETE } }
  chosen: { type: http.request, with: { url: "https://example.com/", method: "{{ inputs.method }}" } }
)");
  CHECK_FALSE(pipeline.has_side_effects("read")); // GET by default
  CHECK_FALSE(pipeline.has_side_effects("head"));
  CHECK(pipeline.has_side_effects("create"));
  CHECK(pipeline.has_side_effects("remove"));
  CHECK(pipeline.has_side_effects("chosen")); // only known when it runs
  CHECK_THROWS_AS((void)pipeline.has_side_effects("missing"), std::out_of_range);
}
