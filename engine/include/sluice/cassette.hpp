#pragma once
/// @file
/// Cassettes: the HTTP exchanges of one run, recorded so that pipeline tests can replay them
/// with no network and no connection store (`sluice run --record DIR`, `cassette:` in a test
/// file). A cassette holds no secret: what it records is what the run's HTTP interceptor sees
/// (every secret a request carried already reads `[redacted]`), and the writer refuses to save
/// one in which a token or client secret the connection store handed out still appears.
///
/// ```
/// auto recorder = std::make_shared<sluice::CassetteRecorder>([&]() -> sluice::CredentialStore& {
///   return engine.credentials();
/// });
/// sluice::RunOptions options;
/// options.http_interceptor = recorder;
/// options.credentials = recorder->credentials();
/// const sluice::RunResult result = engine.run(pipeline, options);
/// sluice::Cassette cassette = recorder->take();
/// sluice::write_cassette(cassette, "lifecycle.cassette.json", recorder->secrets());
/// ```

#include <sluice/credentials.hpp>
#include <sluice/engine.hpp>
#include <sluice/export.hpp>
#include <sluice/http.hpp>
#include <sluice/http_interceptor.hpp>
#include <sluice/value.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

/// A connection as a cassette keeps it: what a node may read of it, without its secrets. On
/// replay it stands in for the stored connection of that name.
struct CassetteConnection {
  std::string name;
  std::string provider;
  std::string grant_type;
  std::vector<std::string> scopes;
  Value account;
  Value extra;
};

/// One request and its answer, both redacted.
struct CassetteExchange {
  std::string node;
  std::int64_t index = -1;
  HttpRequest request;
  HttpResponse response;
};

struct Cassette {
  /// The pipeline file's name (as given to `sluice run`) and the SHA-256 of its text, in hex:
  /// a test that replays the cassette calls it stale when the pipeline has changed since.
  std::string pipeline;
  std::string pipeline_sha256;
  /// Name and version of each plugin whose node types the pipeline uses.
  std::vector<std::pair<std::string, std::string>> plugins;
  std::vector<CassetteConnection> connections;
  std::vector<CassetteExchange> exchanges;
};

/// A cassette that cannot be read or written: says where (a JSON path such as
/// `exchanges[2].request.method`) and what is wrong.
class SLUICE_API CassetteError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The cassette as JSON text (pretty-printed, one field per line, to diff well).
SLUICE_API std::string cassette_to_json(const Cassette& cassette);
/// Parses what cassette_to_json() wrote; throws CassetteError.
SLUICE_API Cassette cassette_from_json(std::string_view text);
/// Reads a cassette file (at most 64 MiB); throws CassetteError naming the file.
SLUICE_API Cassette read_cassette(const std::filesystem::path& file);
/// Writes `cassette` to `file` unless one of `secrets` appears anywhere in it (as written or
/// percent-encoded): then it throws CassetteError naming the field that holds it (never the
/// secret) and writes nothing.
SLUICE_API void write_cassette(const Cassette& cassette, const std::filesystem::path& file,
                               const std::vector<Secret>& secrets);

/// The SHA-256 of `text` in lower-case hex (what Cassette::pipeline_sha256 holds).
SLUICE_API std::string sha256_hex(std::string_view text);

/// Name and version of each plugin loaded into `engine` that registers a node type `pipeline`
/// uses (what Cassette::plugins holds), sorted by name.
SLUICE_API std::vector<std::pair<std::string, std::string>>
cassette_plugins(const Engine& engine, const Pipeline& pipeline);

/// Records a run: install it as `RunOptions::http_interceptor` (it lets every request through)
/// and its credentials() as `RunOptions::credentials`, so that it learns every connection the
/// run's nodes read and every secret the store hands them. Thread-safe.
class SLUICE_API CassetteRecorder : public HttpInterceptor {
public:
  /// `store` is called the first time a node asks for a connection (a run that uses none
  /// never opens the store).
  explicit CassetteRecorder(std::function<CredentialStore&()> store);
  ~CassetteRecorder() override;

  HttpDecision before_send(const HttpExchange& exchange) override;
  void after_receive(const HttpExchange& exchange, const HttpResponse& response) override;

  /// The store to give the run: the real one, watched.
  std::shared_ptr<CredentialStore> credentials();
  /// The exchanges and connections recorded so far (pipeline and plugins left for the caller).
  Cassette take();
  /// Every secret the store handed out: what write_cassette() must not find.
  std::vector<Secret> secrets() const;

private:
  class Store;
  friend class Store;
  void learn(const Connection& connection);
  void learn(const Tokens& tokens);

  mutable std::mutex mutex_;
  std::shared_ptr<Store> store_;
  std::vector<CassetteExchange> exchanges_;
  std::vector<CassetteConnection> connections_;
  std::vector<Secret> secrets_;
};

} // namespace sluice
