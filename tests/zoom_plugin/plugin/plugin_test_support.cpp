// Helpers for test_zoom_plugin (plugin_test_support.hpp): the throw-away workspace that runs
// the real CLI, and the running emulator with its admin endpoints.

#include "plugin_test_support.hpp"

#include "child_process.hpp"
#include "support/files.hpp"

#include <sluice/credentials_store.hpp>

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace sluice::zoom::plugin_test {

namespace {

using test_support::read_file;
using test_support::write_file;

std::string random_hex(std::size_t bytes) {
  std::random_device random;
  static const char digits[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < bytes; ++i) {
    const unsigned byte = random() & 0xff;
    text += digits[byte >> 4];
    text += digits[byte & 0xf];
  }
  return text;
}

} // namespace

// ---------------------------------------------------------------------------------------

Emulator::Emulator(std::vector<std::string> arguments, std::string ca_file)
    : process_(std::move(arguments)), ca_file_(std::move(ca_file)) {
}

HttpResult Emulator::request(const std::string& method, const std::string& target,
                             const std::string& body,
                             const std::map<std::string, std::string>& headers) const {
  HttpClient client(port(), tls(), ca_file_);
  return client.request(method, target, body, headers);
}

Value Emulator::counters() const {
  const HttpResult answer = request("GET", "/_emulator/counters");
  REQUIRE(answer.status == 200);
  return answer.json();
}

std::int64_t Emulator::requests(const std::string& route) const {
  const Value counts = counters();
  const Value* count = counts["requests_per_route"].find(route);
  return count ? count->as_int() : 0;
}

std::int64_t Emulator::api_requests() const {
  const Value counts = counters();
  std::int64_t total = 0;
  for (const auto& [route, count] : counts["requests_per_route"].as_object())
    if (route.find(" /v2/") != std::string::npos)
      total += count.as_int();
  return total;
}

std::int64_t Emulator::tokens_issued() const {
  return counters()["tokens_issued"].as_int();
}

void Emulator::set_faults(const std::string& json) const {
  const HttpResult answer =
      request("POST", "/_emulator/faults", json, {{"Content-Type", "application/json"}});
  REQUIRE_MESSAGE(answer.status == 200, answer.body);
}

void Emulator::expire_tokens() const {
  REQUIRE(request("POST", "/_emulator/tokens/expire").status == 200);
}

// ---------------------------------------------------------------------------------------

Value CliResult::json() const {
  try {
    return Value::parse_json(out);
  } catch (const std::exception& e) {
    FAIL("stdout of '" << describe() << "' is not JSON: " << e.what());
    return {};
  }
}

std::string CliResult::describe() const {
  std::string text = "sluice";
  for (const std::string& argument : arguments)
    text += " " + argument;
  return text + "\n[exit " + std::to_string(exit_code) + "]\n[stdout]\n" + out + "\n[stderr]\n" +
         err;
}

Workspace::Workspace() {
  static std::atomic<int> counter{0};
  directory_ = std::filesystem::temp_directory_path() /
               ("sluice-zoom-plugin-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter++) + "-" + random_hex(4));
  std::filesystem::create_directories(directory_);
  key_hex_ = random_hex(32);
  secrets_.insert(client_secret);
  secrets_.insert(key_hex_);
}

Workspace::~Workspace() {
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::filesystem::path Workspace::write(const std::string& name, const std::string& text) const {
  const std::filesystem::path path = directory_ / name;
  write_file(path, text);
  return path;
}

std::vector<std::string> Workspace::environment(const std::vector<std::string>& extra) const {
  std::vector<std::string> variables;
  for (char** entry = environ; *entry; ++entry) {
    const std::string variable = *entry;
    // The test decides every Sluice setting; the developer's own must not leak in.
    if (!variable.starts_with("SLUICE_") && !variable.starts_with("XDG_DATA_HOME="))
      variables.push_back(variable);
  }
  variables.push_back("SLUICE_CREDENTIALS=" + credentials().string());
  variables.push_back("SLUICE_CREDENTIALS_KEY=" + key_hex_);
  variables.push_back(std::string("SLUICE_ZOOM_CLIENT_SECRET=") + client_secret);
  variables.push_back("XDG_DATA_HOME=" + (directory_ / "xdg").string());
  if (!store_url_.empty())
    variables.push_back("SLUICE_STORE=" + store_url_);
  // A variable in `extra` replaces the one of the same name (getenv takes the first).
  const auto name_of = [](const std::string& v) { return v.substr(0, v.find('=') + 1); };
  for (const std::string& variable : extra)
    std::erase_if(variables, [&](const std::string& v) { return name_of(v) == name_of(variable); });
  variables.insert(variables.end(), extra.begin(), extra.end());
  return variables;
}

CliProcess Workspace::start(const std::vector<std::string>& arguments,
                            const std::vector<std::string>& extra_environment) {
  CliProcess process;
  process.arguments = arguments;
  const int index = next_file_++;
  process.out_file = directory_ / ("cli-" + std::to_string(index) + ".out");
  process.err_file = directory_ / ("cli-" + std::to_string(index) + ".err");

  std::vector<std::string> argv = {SLUICE_CLI};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  std::vector<std::string> env_strings = environment(extra_environment);
  std::vector<char*> envp;
  for (std::string& variable : env_strings)
    envp.push_back(variable.data());
  envp.push_back(nullptr);
  process.pid = zoom_emulator::test::spawn_with_output_files(argv, process.out_file,
                                                             process.err_file, envp.data());
  return process;
}

CliResult Workspace::wait(const CliProcess& process) {
  int status = 0;
  ::waitpid(process.pid, &status, 0);
  CliResult result;
  result.arguments = process.arguments;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(process.out_file);
  result.err = read_file(process.err_file);
  history_.push_back(result);
  collect_secrets();
  check_no_secrets();
  return result;
}

CliResult Workspace::sluice(const std::vector<std::string>& arguments,
                            const std::vector<std::string>& extra_environment) {
  return wait(start(arguments, extra_environment));
}

CliResult Workspace::connect(const Emulator& emulator, const std::string& name,
                             const std::vector<std::string>& extra,
                             const std::vector<std::string>& extra_environment) {
  std::vector<std::string> arguments = {
      "connect",          "zoom",         "--name",         name,
      "--client-id",      client_id,      "--api-base-url", emulator.api_base_url(),
      "--oauth-base-url", emulator.url(), "--timeout",      "30"};
  // The headless "browser" follows the authorize redirect to the loopback listener.
  if (std::find(extra.begin(), extra.end(), "--browser-command") == extra.end())
    arguments.insert(arguments.end(), {"--browser-command", "curl -s -L -o /dev/null"});
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return sluice(arguments, extra_environment);
}

CliResult Workspace::run(const std::string& yaml, const std::vector<std::string>& extra) {
  const std::filesystem::path file =
      write("pipeline-" + std::to_string(next_file_++) + ".yaml", yaml);
  std::vector<std::string> arguments = {"run", file.string(), "--json"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return sluice(arguments);
}

bool Workspace::store_exists() const {
  return !store_url_.empty() || std::filesystem::exists(credentials());
}

CredentialStoreOptions Workspace::store_options() const {
  CredentialStoreOptions options;
  options.database = credentials();
  options.key_hex = Secret(key_hex_);
  options.database_url = Secret(store_url_);
  return options;
}

std::optional<Connection> Workspace::stored(const std::string& name) {
  if (!store_exists())
    return std::nullopt;
  std::optional<Connection> connection = open_credential_store(store_options())->find(name);
  if (connection) {
    for (const Secret* secret : {&connection->access_token, &connection->refresh_token})
      if (!secret->empty())
        secrets_.insert(secret->reveal());
  }
  return connection;
}

std::shared_ptr<CredentialStore> Workspace::open_store() const {
  return open_credential_store(store_options());
}

void Workspace::collect_secrets() {
  if (!store_exists())
    return;
  for (const Connection& connection : open_credential_store(store_options())->list())
    for (const Secret* secret : {&connection.access_token, &connection.refresh_token})
      if (!secret->empty())
        secrets_.insert(secret->reveal());
}

namespace {

bool base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// "eyJ" (a JSON object's "{\"" in base64url) then more base64url, a dot and a second part: a
// JWT's header and payload. "eyJ" alone also turns up by chance inside random base64url text
// (a PKCE challenge, an OAuth state), which is not a token.
bool contains_jwt(const std::string& text) {
  for (std::size_t at = text.find("eyJ"); at != std::string::npos; at = text.find("eyJ", at + 1)) {
    std::size_t end = at;
    while (end < text.size() && base64url(text[end]))
      ++end;
    if (end + 1 < text.size() && text[end] == '.' && base64url(text[end + 1]))
      return true;
  }
  return false;
}

} // namespace

void Workspace::check_no_secrets() {
  for (const CliResult& result : history_) {
    for (const std::string* text : {&result.out, &result.err}) {
      for (const std::string& secret : secrets_)
        if (text->find(secret) != std::string::npos)
          FAIL_CHECK("a secret (" << secret.size() << " characters) appears in the output of "
                                  << result.describe());
      // Emulator tokens are JWT-shaped; no output may carry a bearer credential.
      if (text->find("Bearer ") != std::string::npos || contains_jwt(*text))
        FAIL_CHECK("a bearer token appears in the output of " << result.describe());
    }
  }
}

void Workspace::check_no_secrets_in(const std::string& text, const std::string& what) {
  collect_secrets();
  for (const std::string& secret : secrets_)
    if (text.find(secret) != std::string::npos)
      FAIL_CHECK("a token (" << secret.size() << " characters) appears in " << what);
  for (const std::string& secret : {std::string(client_secret), key_hex_})
    if (text.find(secret) != std::string::npos)
      FAIL_CHECK("the client secret or the store's key appears in " << what);
  if (text.find("Bearer ") != std::string::npos || text.find("eyJ") != std::string::npos)
    FAIL_CHECK("a bearer token appears in " << what);
}

Value node_result(const Value& run, const std::string& name) {
  const Value* nodes = run.find("nodes");
  if (nodes && nodes->is_array())
    for (const Value& node : nodes->as_array())
      if (node["id"] == Value(name))
        return node;
  return {};
}

Value connection_rows(Workspace& workspace) {
  const CliResult listed = workspace.sluice({"connections", "list", "--json"});
  REQUIRE_MESSAGE(listed.exit_code == 0, listed.describe());
  const Value parsed = listed.json(); // named: a temporary would die before the loop body
  Object rows;
  for (const Value& row : parsed.as_array())
    rows.emplace_back(std::string(row["name"].as_string()), row);
  return Value(std::move(rows));
}

// ---------------------------------------------------------------------------------------

} // namespace sluice::zoom::plugin_test
