// The `token` provider: reading the secret without it touching argv or the terminal's echo,
// storing it with how it is sent, and putting it on a request.

#include "token_connection.hpp"

#include "links.hpp"

#include <sluice/ascii.hpp>
#include <sluice/encoding.hpp>
#include <sluice/error.hpp>
#include <sluice/provider.hpp>
#include <sluice/url.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <termios.h>
#include <unistd.h>

namespace sluice::http_plugin {

namespace asio = boost::asio;

namespace {

constexpr const char* provider_name = "token";

struct TokenArgs {
  std::string name;
  std::string header = "Authorization";
  std::string scheme = "Bearer";
  std::string token_file;
  std::string origin;
  std::string check_url;
  bool replace = false;
};

// RFC 9110 token characters: what a header name and an auth scheme may be made of.
bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start])))
    ++start;
  return text.substr(start);
}

// One line from the terminal with echo off, so the token is not shown as it is typed.
std::string read_hidden_line(std::ostream& prompt_to, const std::string& prompt) {
  prompt_to << prompt << std::flush;
  termios saved{};
  const bool terminal = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (terminal)
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  prompt_to << '\n';
  return line;
}

Secret read_token(ProviderContext& ctx, const TokenArgs& args) {
  std::string text;
  if (!args.token_file.empty()) {
    std::ifstream in(args.token_file);
    if (!in)
      throw std::runtime_error("cannot read the token file '" + args.token_file + "'");
    std::stringstream content;
    content << in.rdbuf();
    text = content.str();
  } else if (::isatty(STDIN_FILENO) && ctx.interactive()) {
    text = read_hidden_line(ctx.out(), "Token for '" + args.name + "' (not shown): ");
  } else {
    std::stringstream content;
    content << std::cin.rdbuf();
    text = content.str();
  }
  Secret token(trimmed(std::move(text)));
  if (token.empty())
    throw std::runtime_error("no token given: pipe it on standard input or name a file with "
                             "--token-file (never on the command line)");
  const bool printable_only = std::none_of(token.reveal().begin(), token.reveal().end(),
                                           [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  if (!printable_only)
    throw std::runtime_error("the token holds a line break or another control character; a "
                             "header cannot carry it");
  return token;
}

std::string header_value(const std::string& scheme, const Secret& token) {
  return scheme.empty() ? token.reveal() : scheme + " " + token.reveal();
}

std::string text_of(const Value& extra, const char* key, std::string fallback = {}) {
  const Value& value = extra[key];
  return value.is_string() ? std::string(value.as_string()) : fallback;
}

int connect(ProviderContext& ctx, const std::vector<std::string>& argv) {
  TokenArgs args;
  CLI::App app{"Store a token (an API key, a personal access token) as a connection, encrypted, "
               "for http.request's `connection` setting.\nThe token is read from --token-file "
               "or standard input (typed without echo at a terminal), never from the command "
               "line.",
               "sluice connect token"};
  app.add_option("name,--name", args.name, "Name of the connection, e.g. github")->required();
  app.add_option("--header", args.header, "The header that carries it")->capture_default_str();
  app.add_option("--scheme", args.scheme,
                 "What precedes the token in the header (\"\" for the token alone)")
      ->capture_default_str();
  app.add_option("--token-file", args.token_file, "File holding the token")
      ->check(CLI::ExistingFile);
  app.add_option("--origin", args.origin,
                 "Only send it to this origin, e.g. https://api.github.com (recommended)");
  app.add_option("--check-url", args.check_url,
                 "A URL that answers 2xx to a good token, for `sluice connections check`");
  app.add_flag("--replace", args.replace, "Replace the token of the existing connection NAME");
  try {
    std::vector<std::string> reversed(argv.rbegin(), argv.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, ctx.out(), ctx.err());
    return code == 0 ? 0 : 2;
  }

  std::vector<std::string> problems;
  if (!is_token(args.header))
    problems.push_back("--header: '" + printable(args.header) + "' is not a header name");
  if (!args.scheme.empty() && !is_token(args.scheme))
    problems.push_back("--scheme: '" + printable(args.scheme) + "' is not one word");
  Object extra{{"header", Value(args.header)}, {"scheme", Value(args.scheme)}};
  try {
    if (!args.origin.empty())
      extra.emplace_back("origin", Value(Url::parse(args.origin).origin()));
  } catch (const std::invalid_argument& e) {
    problems.push_back(std::string("--origin: ") + e.what());
  }
  if (!args.check_url.empty()) {
    try {
      parse_request_url(args.check_url);
      if (!args.origin.empty() && !same_origin(args.check_url, args.origin))
        problems.push_back("--check-url: not on --origin");
      extra.emplace_back("check_url", Value(args.check_url));
    } catch (const std::invalid_argument& e) {
      problems.push_back(std::string("--check-url: ") + e.what());
    }
  }
  if (!problems.empty()) {
    for (const std::string& problem : problems)
      ctx.err() << "sluice: connect token: " << problem << '\n';
    return 2;
  }

  try {
    CredentialStore& store = ctx.credentials();
    const std::optional<Connection> existing = store.find(args.name);
    if (existing && existing->provider != provider_name) {
      ctx.err() << "sluice: connection '" << args.name << "' belongs to provider '"
                << existing->provider << "'; choose another name\n";
      return 1;
    }
    if (existing && !args.replace) {
      ctx.err() << "sluice: a connection named '" << args.name
                << "' exists; add --replace to store a new token in it\n";
      return 1;
    }
    NewConnection connection;
    connection.name = args.name;
    connection.provider = provider_name;
    connection.grant_type = "static_token";
    connection.tokens.access_token = read_token(ctx, args);
    connection.extra = Value(std::move(extra));
    store.save_new(connection, existing.has_value());
    ctx.out() << "Stored connection '" << args.name << "': sent as '" << args.header << ": "
              << (args.scheme.empty() ? "" : args.scheme + " ") << "<token>'"
              << (args.origin.empty() ? std::string(" to any origin")
                                      : " to " + Url::parse(args.origin).origin() + " only")
              << ".\n";
    return 0;
  } catch (const std::exception& e) {
    ctx.err() << "sluice: connect token: " << e.what() << '\n';
    return 1;
  }
}

std::string check(ProviderContext& ctx, const Connection& connection) {
  const std::string url = text_of(connection.extra, "check_url");
  const std::string header = text_of(connection.extra, "header", "Authorization");
  if (url.empty())
    return "token stored, sent in " + header +
           "; not verified (store it again with --check-url to have it checked)";
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.timeout = std::chrono::seconds(30);
  authorise(request, connection);
  HttpClient& http = ctx.http();
  const auto call = [&http, request]() -> asio::awaitable<HttpResponse> {
    co_return co_await http.send(request);
  };
  const HttpResponse response = asio::co_spawn(ctx.executor(), call, asio::use_future).get();
  const std::string what = "GET " + url.substr(0, url.find('?'));
  if (response.status == 401 || response.status == 403)
    throw std::runtime_error(what + " refused the token (HTTP " + std::to_string(response.status) +
                             "); store a new one with: sluice connect token " + connection.name +
                             " --replace");
  if (response.status < 200 || response.status > 299)
    throw std::runtime_error(what + " answered HTTP " + std::to_string(response.status));
  return what + " accepted the token (HTTP " + std::to_string(response.status) + ")";
}

} // namespace

void register_token_provider(Registrar& registrar) {
  ConnectionProvider provider;
  provider.name = provider_name;
  provider.description = "A fixed token (API key, personal access token) sent in a header";
  provider.connect = connect;
  provider.check = check;
  registrar.add_provider(std::move(provider));
}

void authorise(HttpRequest& request, const Connection& connection) {
  if (connection.provider != provider_name)
    throw NodeError(ErrorCategory::invalid_input,
                    "connection '" + connection.name + "' belongs to provider '" +
                        connection.provider + "'; http.request takes token connections",
                    "Store one with: sluice connect token NAME");
  if (connection.status != ConnectionStatus::healthy || connection.access_token.empty())
    throw NodeError(ErrorCategory::permission,
                    "connection '" + connection.name + "' needs a new token",
                    "Store one with: sluice connect token " + connection.name + " --replace");
  const std::string origin = text_of(connection.extra, "origin");
  if (!origin.empty() && !same_origin(request.url, origin))
    throw NodeError(ErrorCategory::permission,
                    "connection '" + connection.name + "' is only sent to " + origin + ", not to " +
                        request.url.substr(0, request.url.find('?')),
                    "Use a connection stored for that origin.");
  const std::string header = text_of(connection.extra, "header", "Authorization");
  const std::string scheme = text_of(connection.extra, "scheme");
  std::erase_if(request.headers,
                [&](const HttpHeader& h) { return ascii::iequals(h.name, header); });
  request.headers.push_back({header, header_value(scheme, connection.access_token)});
  request.secrets.push_back(connection.access_token);
  request.connection = connection.name;
}

} // namespace sluice::http_plugin
