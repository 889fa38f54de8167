// Redactor (engine/src/http/redaction.cpp): what an interceptor is shown of a request and its
// answer. Exact replacement of the secrets a request declares, in every place they can appear.

#include "http/redaction.hpp"

#include <sluice/http_interceptor.hpp>

#include <doctest/doctest.h>

using sluice::HttpRequest;
using sluice::HttpResponse;
using sluice::Secret;
using sluice::http::Redactor;

TEST_CASE("declared secrets are redacted in the URL, query, headers and body, raw or encoded") {
  HttpRequest request;
  request.method = "POST";
  request.url = "https://auth.example.com/token?code=s3cr3t+code&keep=1";
  request.query = {{"extra", "s3cr3t code"}};
  request.headers = {{"Authorization", "Basic dXNlcjpwYXNz"},
                     {"X-Api-Key", "key-123456"},
                     {"Accept", "application/json"}};
  request.body = "grant_type=refresh_token&refresh_token=r%2Ftoken%3D&other=key-123456";
  request.secrets = {Secret("s3cr3t code"), Secret("key-123456"), Secret("r/token=")};
  const Redactor redactor(request);
  const HttpRequest shown = redactor.request(request);

  CHECK(shown.url == "https://auth.example.com/token?code=[redacted]&keep=1"); // form-encoded
  CHECK(redactor.text("a s3cr3t%20code b") == "a [redacted] b");               // percent-encoded
  CHECK(shown.query[0].second == "[redacted]");
  CHECK(shown.headers[0].value == "[redacted]"); // Authorization: always
  CHECK(shown.headers[1].value == "[redacted]"); // a declared secret
  CHECK(shown.headers[2].value == "application/json");
  CHECK(shown.body == "grant_type=refresh_token&refresh_token=[redacted]&other=[redacted]");
  CHECK(shown.secrets.empty());
  CHECK(request.headers[1].value == "key-123456"); // the real request is untouched
}

TEST_CASE("secret fields of an answer are learnt and redacted everywhere") {
  HttpRequest request;
  request.secret_response_fields = {"access_token", "refresh_token"};
  Redactor redactor(request);

  HttpResponse json;
  json.status = 200;
  json.headers = {{"Set-Cookie", "session=abc"}, {"X-Echo", "tok-AAAA"}};
  json.body = R"({"data":[{"access_token":"tok-AAAA"}],"refresh_token":"tok-BBBB","n":1})";
  const HttpResponse shown = redactor.response(json);
  CHECK(shown.body ==
        R"({"data":[{"access_token":"[redacted]"}],"refresh_token":"[redacted]","n":1})");
  CHECK(shown.headers[0].value == "[redacted]");
  CHECK(shown.headers[1].value == "[redacted]"); // learnt from the body, redacted in a header
  CHECK(redactor.text("later: tok-BBBB") == "later: [redacted]");

  HttpResponse form;
  form.body = "access_token=tok%2FCCCC&expires_in=3600";
  CHECK(redactor.response(form).body == "access_token=[redacted]&expires_in=3600");
}

TEST_CASE("a secret inside another is redacted with it, and nothing undeclared is touched") {
  HttpRequest request;
  request.secrets = {Secret("abc"), Secret("xxabcxx")};
  const Redactor redactor(request);
  CHECK(redactor.text("1 xxabcxx 2 abc 3") == "1 [redacted] 2 [redacted] 3");
  CHECK(redactor.text("nothing secret here") == "nothing secret here");
}

TEST_CASE("secrets are found in the original text only, never in a marker already written") {
  // Found by fuzz_http_answer: the secret "e" once replaced the "e" of the marker that an
  // access token "[" had just become, and left "redacted]" pieces outside any marker.
  HttpRequest request;
  request.secrets = {Secret("e")};
  request.secret_response_fields = {"access_token"};
  Redactor redactor(request);
  HttpResponse form;
  form.body = "access_token=[";
  CHECK(redactor.response(form).body == "acc[redacted]ss_tok[redacted]n=[redacted]");

  HttpRequest overlapping;
  overlapping.secrets = {Secret("abcd"), Secret("cdef")};
  const Redactor both(overlapping);
  CHECK(both.text("1 abcdef 2 cdab 3") == "1 [redacted] 2 cdab 3");
  CHECK(both.text("abcdabcd") == "[redacted]"); // adjacent occurrences: one marker
}
