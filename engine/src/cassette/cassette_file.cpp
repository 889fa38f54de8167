// Owns a cassette's file: its JSON shape both ways (every field checked on the way in, with the
// path of the one that is wrong), and the writer's last look for secrets before anything is
// written.

#include "../file_text.hpp"
#include "../hex_text.hpp"

#include <sluice/cassette.hpp>
#include <sluice/encoding.hpp>

#include <openssl/evp.h>

#include <fstream>
#include <system_error>

namespace sluice {

namespace {

constexpr std::int64_t format_version = 1;
constexpr std::size_t max_cassette_bytes = 64u << 20;

Value pairs_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Array out;
  out.reserve(pairs.size());
  for (const auto& [name, value] : pairs)
    out.push_back(Value(Array{Value(name), Value(value)}));
  return Value(std::move(out));
}

// Headers as "Name: value" lines: a name has no colon, and a diff of a cassette reads as the
// exchange itself would.
Value headers_json(const std::vector<HttpHeader>& headers) {
  Array out;
  out.reserve(headers.size());
  for (const HttpHeader& header : headers)
    out.push_back(Value(header.name + ": " + header.value));
  return Value(std::move(out));
}

Value strings_json(const std::vector<std::string>& strings) {
  Array out;
  for (const std::string& s : strings)
    out.push_back(Value(s));
  return Value(std::move(out));
}

// Reads the JSON back, each accessor naming the path of what it reads in its error.
class Reader {
public:
  Reader(const Value& value, std::string path) : value_(value), path_(std::move(path)) {}

  Reader field(std::string_view name, bool required = true) const {
    if (!value_.is_object())
      fail("expected an object");
    const Value* member = value_.find(name);
    const std::string path = path_.empty() ? std::string(name) : path_ + "." + std::string(name);
    if (!member) {
      if (required)
        throw CassetteError(path + ": missing");
      return Reader(Value::null_value(), path);
    }
    return Reader(*member, path);
  }
  std::string text() const {
    if (value_.is_null())
      return {};
    if (!value_.is_string())
      fail("expected a string");
    return std::string(value_.as_string());
  }
  std::int64_t integer() const {
    if (!value_.is_int())
      fail("expected an integer");
    return value_.as_int();
  }
  bool boolean() const {
    if (value_.is_null())
      return false;
    if (!value_.is_bool())
      fail("expected true or false");
    return value_.as_bool();
  }
  template <class F> void each(F&& f) const {
    if (value_.is_null())
      return;
    if (!value_.is_array())
      fail("expected a list");
    std::size_t i = 0;
    for (const Value& element : value_.as_array()) {
      f(Reader(element, path_ + "[" + std::to_string(i) + "]"));
      ++i;
    }
  }
  std::pair<std::string, std::string> pair() const {
    if (!value_.is_array() || value_.size() != 2)
      fail("expected a [name, value] pair");
    return {Reader(value_[0], path_ + "[0]").text(), Reader(value_[1], path_ + "[1]").text()};
  }
  std::vector<std::pair<std::string, std::string>> pairs() const {
    std::vector<std::pair<std::string, std::string>> out;
    each([&](const Reader& element) { out.push_back(element.pair()); });
    return out;
  }
  std::vector<std::string> strings() const {
    std::vector<std::string> out;
    each([&](const Reader& element) { out.push_back(element.text()); });
    return out;
  }
  const Value& value() const noexcept { return value_; }

  [[noreturn]] void fail(const std::string& problem) const {
    throw CassetteError((path_.empty() ? std::string("the cassette") : path_) + ": " + problem);
  }

private:
  const Value& value_;
  std::string path_;
};

std::vector<HttpHeader> headers_from(const Reader& reader) {
  std::vector<HttpHeader> headers;
  reader.each([&](const Reader& line) {
    const std::string text = line.text();
    const std::size_t colon = text.find(':');
    if (colon == 0 || colon == std::string::npos)
      line.fail("expected \"Name: value\"");
    std::size_t start = colon + 1;
    while (start < text.size() && text[start] == ' ')
      ++start;
    headers.push_back(HttpHeader{text.substr(0, colon), text.substr(start)});
  });
  return headers;
}

// Where `secret` occurs in `cassette`, as a field path, or "" when nowhere.
std::string where(const Cassette& cassette, std::string_view secret) {
  const std::string encoded = percent_encode(secret);
  const auto holds = [&](std::string_view text) {
    return text.find(secret) != std::string_view::npos ||
           (encoded != secret && text.find(encoded) != std::string_view::npos);
  };
  for (std::size_t i = 0; i < cassette.exchanges.size(); ++i) {
    const CassetteExchange& e = cassette.exchanges[i];
    const std::string at = "exchanges[" + std::to_string(i) + "]";
    if (holds(e.request.url))
      return at + ".request.url";
    for (const auto& [name, value] : e.request.query)
      if (holds(name) || holds(value))
        return at + ".request.query '" + name + "'";
    for (const HttpHeader& header : e.request.headers)
      if (holds(header.name) || holds(header.value))
        return at + ".request.headers '" + header.name + "'";
    if (holds(e.request.body))
      return at + ".request.body";
    for (const HttpHeader& header : e.response.headers)
      if (holds(header.name) || holds(header.value))
        return at + ".response.headers '" + header.name + "'";
    if (holds(e.response.body))
      return at + ".response.body";
  }
  for (std::size_t i = 0; i < cassette.connections.size(); ++i) {
    const CassetteConnection& c = cassette.connections[i];
    if (holds(c.account.to_json()) || holds(c.extra.to_json()) || holds(c.name))
      return "connections[" + std::to_string(i) + "] ('" + c.name + "')";
  }
  return {};
}

} // namespace

std::string cassette_to_json(const Cassette& cassette) {
  Array plugins;
  for (const auto& [name, version] : cassette.plugins)
    plugins.push_back(Value(Object{{"name", name}, {"version", version}}));
  Array connections;
  for (const CassetteConnection& c : cassette.connections)
    connections.push_back(Value(Object{{"name", c.name},
                                       {"provider", c.provider},
                                       {"grant_type", c.grant_type},
                                       {"scopes", strings_json(c.scopes)},
                                       {"account", c.account},
                                       {"extra", c.extra}}));
  Array exchanges;
  for (const CassetteExchange& e : cassette.exchanges) {
    Object request{{"method", e.request.method}, {"url", e.request.url}};
    if (!e.request.query.empty())
      request.emplace_back("query", pairs_json(e.request.query));
    request.emplace_back("headers", headers_json(e.request.headers));
    request.emplace_back("body", e.request.body);
    if (!e.request.idempotent)
      request.emplace_back("idempotent", false);
    Object response{{"status", e.response.status},
                    {"headers", headers_json(e.response.headers)},
                    {"body", e.response.body}};
    Object exchange{{"node", e.node}};
    if (e.index >= 0)
      exchange.emplace_back("index", e.index);
    exchange.emplace_back("request", Value(std::move(request)));
    exchange.emplace_back("response", Value(std::move(response)));
    exchanges.push_back(Value(std::move(exchange)));
  }
  const Value document(Object{{"version", format_version},
                              {"pipeline", cassette.pipeline},
                              {"pipeline_sha256", cassette.pipeline_sha256},
                              {"plugins", Value(std::move(plugins))},
                              {"connections", Value(std::move(connections))},
                              {"exchanges", Value(std::move(exchanges))}});
  return document.to_json(/*pretty=*/true) + "\n";
}

Cassette cassette_from_json(std::string_view text) {
  Value document;
  try {
    document = Value::parse_json(text);
  } catch (const JsonError& e) {
    throw CassetteError(std::string("not JSON: ") + e.what());
  }
  const Reader root(document, "");
  if (root.field("version").integer() != format_version)
    root.field("version").fail("this Sluice reads cassettes of version " +
                               std::to_string(format_version));
  Cassette cassette;
  cassette.pipeline = root.field("pipeline").text();
  cassette.pipeline_sha256 = root.field("pipeline_sha256").text();
  root.field("plugins", false).each([&](const Reader& plugin) {
    cassette.plugins.emplace_back(plugin.field("name").text(), plugin.field("version").text());
  });
  root.field("connections", false).each([&](const Reader& c) {
    CassetteConnection connection;
    connection.name = c.field("name").text();
    connection.provider = c.field("provider").text();
    connection.grant_type = c.field("grant_type", false).text();
    connection.scopes = c.field("scopes", false).strings();
    connection.account = c.field("account", false).value();
    connection.extra = c.field("extra", false).value();
    cassette.connections.push_back(std::move(connection));
  });
  root.field("exchanges").each([&](const Reader& e) {
    CassetteExchange exchange;
    exchange.node = e.field("node").text();
    const Reader index = e.field("index", false);
    exchange.index = index.value().is_null() ? -1 : index.integer();
    const Reader request = e.field("request");
    exchange.request.method = request.field("method").text();
    exchange.request.url = request.field("url").text();
    exchange.request.query = request.field("query", false).pairs();
    exchange.request.headers = headers_from(request.field("headers", false));
    exchange.request.body = request.field("body", false).text();
    const Reader idempotent = request.field("idempotent", false);
    exchange.request.idempotent = idempotent.value().is_null() || idempotent.boolean();
    const Reader response = e.field("response");
    const std::int64_t status = response.field("status").integer();
    if (status < 100 || status > 999)
      response.field("status").fail("expected an HTTP status (100 to 999)");
    exchange.response.status = static_cast<int>(status);
    exchange.response.headers = headers_from(response.field("headers", false));
    exchange.response.body = response.field("body", false).text();
    cassette.exchanges.push_back(std::move(exchange));
  });
  return cassette;
}

Cassette read_cassette(const std::filesystem::path& file) {
  std::string text;
  try {
    text = detail::read_at_most(file, max_cassette_bytes);
  } catch (const std::exception& e) {
    throw CassetteError(e.what());
  }
  if (text.size() > max_cassette_bytes)
    throw CassetteError(file.string() + ": larger than 64 MiB");
  try {
    return cassette_from_json(text);
  } catch (const CassetteError& e) {
    throw CassetteError(file.string() + ": " + e.what());
  }
}

void write_cassette(const Cassette& cassette, const std::filesystem::path& file,
                    const std::vector<Secret>& secrets) {
  for (const Secret& secret : secrets) {
    // A very short "secret" (a PIN-like test value) would match by chance anywhere.
    if (secret.reveal().size() < 6)
      continue;
    const std::string found = where(cassette, secret.reveal());
    if (!found.empty())
      throw CassetteError("not writing " + file.string() + ": " + found +
                          " holds a secret the connection store handed to the run (a node sent it "
                          "without listing it in HttpRequest::secrets, so it was not redacted)");
  }
  const std::string text = cassette_to_json(cassette);
  // Written beside the file and renamed over it: a failed write never leaves half a cassette.
  const std::filesystem::path partial = file.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
      throw CassetteError("cannot write " + partial.string());
    }
  }
  std::error_code error;
  std::filesystem::rename(partial, file, error);
  if (error)
    throw CassetteError("cannot write " + file.string() + ": " + error.message());
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return detail::lower_hex(digest, length);
}

} // namespace sluice
