// `sluice connections`: look at and manage stored connections. Tokens and secrets are never
// printed; only whether they are present.

#include "connections_command.hpp"

#include "commands.hpp"
#include "provider_context.hpp"
#include "store_address.hpp"

#include <sluice/credentials_store.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

namespace sluice::cli {

struct ConnectionsCommand::Arguments {
  std::string credentials; // --credentials PATH
  std::string store;       // --store URL
  std::string to;          // migrate --to URL
  bool replace = false;
  bool json = false;
  std::string name;
  bool revoke = false;
};

namespace {

std::string format_time(Timestamp t) {
  if (t == Timestamp{})
    return "-";
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::time_point_cast<std::chrono::seconds>(t));
}

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words)
    text += (text.empty() ? "" : " ") + word;
  return text;
}

std::string account_email(const Connection& c) {
  const Value& email = c.account["email"];
  return email.is_string() ? std::string(email.as_string()) : "-";
}

// Everything a user may see about a connection; presence of secrets, never their values.
Value describe(const Connection& c) {
  Array scopes;
  for (const std::string& s : c.scopes)
    scopes.push_back(s);
  Object fields{{"name", c.name},
                {"provider", c.provider},
                {"account", c.account.is_null() ? Value(Object{}) : c.account},
                {"scopes", Value(std::move(scopes))},
                {"grant_type", c.grant_type},
                {"client_id", c.client_id},
                {"client_secret",
                 c.client_secret.empty()
                     ? (c.client_secret_source.empty() ? Value(nullptr)
                                                       : Value("from " + c.client_secret_source))
                     : Value("stored")},
                {"access_token", c.access_token.empty() ? "none" : "stored"},
                {"refresh_token", c.refresh_token.empty() ? "none" : "stored"},
                {"expires_at", format_time(c.expires_at)},
                {"status", std::string(to_string(c.status))},
                {"created_at", format_time(c.created_at)},
                {"updated_at", format_time(c.updated_at)},
                {"last_used_at", c.last_used_at ? format_time(*c.last_used_at) : "-"},
                {"version", c.version}};
  if (!c.status_reason.empty())
    fields.emplace_back("status_reason", c.status_reason);
  if (!c.extra.is_null())
    fields.emplace_back("extra", c.extra);
  return Value(std::move(fields));
}

// Where the connections are: --credentials PATH, --store URL, else the environment.
struct Where {
  std::string path;
  std::string store;
};

std::shared_ptr<CredentialStore> open_store(const Where& where) {
  return open_credential_store(connection_store_options(where.path, where.store));
}

int list(const Where& path, bool json) {
  const auto connections = open_store(path)->list();
  if (json) {
    Array rows;
    for (const Connection& c : connections)
      rows.push_back(describe(c));
    std::cout << Value(std::move(rows)).to_json(true) << '\n';
    return exit_ok;
  }
  if (connections.empty()) {
    std::cout << "No connections. A provider plugin adds them (e.g. sluice connect zoom).\n";
    return exit_ok;
  }
  // Columns as wide as their longest entry ("webhook-secret" is longer than "PROVIDER").
  std::size_t name_width = 20;
  std::size_t provider_width = 10;
  std::size_t account_width = 28;
  for (const Connection& c : connections) {
    name_width = std::max(name_width, c.name.size());
    provider_width = std::max(provider_width, c.provider.size());
    account_width = std::max(account_width, account_email(c).size());
  }
  const auto row = [&](std::string_view name, std::string_view provider, std::string_view account,
                       std::string_view status, std::string_view expires, std::string_view scopes) {
    std::cout << fmt::format("{:<{}} {:<{}} {:<{}} {:<22} {:<21} {}\n", name, name_width, provider,
                             provider_width, account, account_width, status, expires, scopes);
  };
  row("NAME", "PROVIDER", "ACCOUNT", "STATUS", "EXPIRES", "SCOPES");
  for (const Connection& c : connections)
    row(c.name, c.provider, account_email(c), to_string(c.status), format_time(c.expires_at),
        join(c.scopes));
  return exit_ok;
}

int show(const Where& path, const std::string& name) {
  const auto connection = open_store(path)->find(name);
  if (!connection) {
    std::cerr << "sluice: no connection named '" << name << "' (see: sluice connections list)\n";
    return exit_failed;
  }
  std::cout << describe(*connection).to_json(true) << '\n';
  return exit_ok;
}

// The provider plugin of `connection`, with an engine that has the plugins loaded and uses
// the same store; nullptr (after saying why) when no loaded plugin provides it.
struct ProviderHandle {
  std::unique_ptr<Engine> engine;
  std::shared_ptr<const ConnectionProvider> provider;
};
ProviderHandle find_provider(const Where& where, const PluginArgs& plugins,
                             const Connection& connection) {
  ProviderHandle handle;
  handle.engine = make_engine(1, plugins, where.path, {}, store_address(where.store));
  handle.provider = handle.engine->find_provider(connection.provider);
  return handle;
}

int remove(const Where& path, const PluginArgs& plugins, const std::string& name, bool revoke) {
  const auto store = open_store(path);
  const auto connection = store->find(name);
  if (!connection) {
    std::cerr << "sluice: no connection named '" << name << "' (see: sluice connections list)\n";
    return exit_failed;
  }
  if (revoke) {
    const ProviderHandle handle = find_provider(path, plugins, *connection);
    if (!handle.provider || !handle.provider->revoke) {
      // Refuse rather than delete silently: the grant would stay valid at the provider.
      std::cerr << fmt::format(
          "sluice: cannot revoke '{}': {} for provider '{}'. Load the provider's plugin (see: "
          "sluice plugins --check), or revoke the app's access in the provider's settings and "
          "run: sluice connections delete {}\n",
          name, handle.provider ? "the plugin offers no revocation" : "no plugin is loaded",
          connection->provider, name);
      return exit_failed;
    }
    CliProviderContext context(*handle.engine);
    try {
      handle.provider->revoke(context, *connection);
    } catch (const std::exception& e) {
      std::cerr << fmt::format("sluice: could not revoke '{}' at {}: {}\nThe connection was "
                               "kept; run without --revoke to delete it anyway.\n",
                               name, connection->provider, e.what());
      return exit_failed;
    }
    store->remove(name);
    std::cout << fmt::format("Revoked the grant at {} and deleted connection '{}'.\n",
                             connection->provider, name);
    return exit_ok;
  }
  store->remove(name);
  std::cout << fmt::format("Deleted connection '{}' (the grant at {} was not revoked).\n", name,
                           connection->provider);
  return exit_ok;
}

int check(const Where& path, const PluginArgs& plugins, const std::string& name) {
  const auto connection = open_store(path)->find(name);
  if (!connection) {
    std::cerr << "sluice: no connection named '" << name << "' (see: sluice connections list)\n";
    return exit_failed;
  }
  if (connection->status != ConnectionStatus::healthy) {
    std::cerr << fmt::format(
        "sluice: {}: {}{}\n", name, to_string(connection->status),
        connection->status_reason.empty() ? "" : " (" + connection->status_reason + ")");
    return exit_failed;
  }
  const ProviderHandle handle = find_provider(path, plugins, *connection);
  if (!handle.provider || !handle.provider->check) {
    std::cout << fmt::format("{}: stored, status healthy\n", name);
    std::cerr << fmt::format("sluice: {} for provider '{}': only the stored state was "
                             "checked\n",
                             handle.provider ? "the plugin offers no live check"
                                             : "no plugin is loaded",
                             connection->provider);
    return exit_failed;
  }
  CliProviderContext context(*handle.engine);
  try {
    std::cout << fmt::format("{}: ok: {}\n", name, handle.provider->check(context, *connection));
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("sluice: {}: check failed: {}\n", name, e.what());
    return exit_failed;
  }
}

int rekey(const Where& where) {
  const auto options = connection_store_options(where.path, where.store);
  Secret new_key;
  if (const char* env = std::getenv("SLUICE_CREDENTIALS_NEW_KEY"))
    new_key = Secret(env);
  std::cout << rekey_credential_store(options, new_key) << '\n';
  return exit_ok;
}

void print_names(const char* what, const std::vector<std::string>& names) {
  if (!names.empty())
    std::cout << fmt::format("{} {}: {}\n", what, names.size(), join(names));
}

int migrate(const Where& where, const std::string& to, bool replace) {
  CredentialStoreOptions from = connection_store_options(where.path, {});
  from.database_url = Secret(); // the file, even when SLUICE_STORE names the target
  const CredentialStoreOptions target = connection_store_options(where.path, to);
  const CredentialStoreCopy copy = copy_credential_store(from, target, replace);
  print_names("Copied", copy.copied);
  print_names("Replaced", copy.replaced);
  print_names("Kept (already there; --replace overwrites them)", copy.kept);
  if (copy.copied.empty() && copy.replaced.empty() && copy.kept.empty())
    std::cout << "No connections in " << from.database.string() << ": nothing to copy.\n";
  else
    std::cout << fmt::format(
        "The file {} is unchanged. Point every Sluice process at the database (--store or "
        "SLUICE_STORE) and give each the same key ({}).\n",
        from.database.string(),
        from.key_hex.empty() ? "copy " + from.key_file.string() : "SLUICE_CREDENTIALS_KEY");
  return exit_ok;
}

} // namespace

ConnectionsCommand::ConnectionsCommand(CLI::App& app) : args_(std::make_shared<Arguments>()) {
  command_ = app.add_subcommand("connections",
                                "List and manage stored connections (tokens are never shown).");
  command_->require_subcommand(1);
  command_->add_option("--credentials", args_->credentials,
                       "The credential store (default: SLUICE_CREDENTIALS, else "
                       "$XDG_DATA_HOME/sluice/credentials.db)");
  add_store_address_option(*command_, args_->store, "connections, instead of the file");
  command_->footer("The key comes from SLUICE_CREDENTIALS_KEY (64 hex digits) or the key file "
                   "SLUICE_CREDENTIALS_KEY_FILE (default: credentials.key beside the store).");
  list_ = command_->add_subcommand("list", "Name, provider, account, status, expiry, scopes.");
  list_->add_flag("--json", args_->json, "Print as JSON");
  show_ = command_->add_subcommand("show", "Everything stored about a connection but secrets.");
  show_->add_option("name", args_->name, "Connection name")->required();
  delete_ = command_->add_subcommand("delete", "Delete a connection.");
  delete_->add_option("name", args_->name, "Connection name")->required();
  delete_->add_flag("--revoke", args_->revoke,
                    "Revoke the grant at the provider first (needs the provider plugin)");
  check_ = command_->add_subcommand("check", "Check that a connection is usable.");
  check_->add_option("name", args_->name, "Connection name")->required();
  rekey_ = command_->add_subcommand(
      "rekey", "Re-encrypt the store with a new key (SLUICE_CREDENTIALS_NEW_KEY when the key "
               "comes from SLUICE_CREDENTIALS_KEY; otherwise a new key file).");
  migrate_ = command_->add_subcommand(
      "migrate", "Copy every connection of the file store into a PostgreSQL store (tokens, "
                 "versions and all), encrypted there with the same key. The file is not changed.");
  migrate_
      ->add_option("--to", args_->to,
                   "The PostgreSQL database: postgresql://USER@HOST:PORT/DATABASE (a password "
                   "goes in ~/.pgpass, never on the command line)")
      ->required();
  migrate_->add_flag("--replace", args_->replace,
                     "Overwrite connections of the same name already in the database");
  // --credentials and --store may also follow the subcommand.
  for (CLI::App* sub : {list_, show_, delete_, check_, rekey_, migrate_})
    sub->fallthrough();
}

bool ConnectionsCommand::selected() const {
  return command_->parsed();
}

int ConnectionsCommand::run(const PluginArgs& plugins) const {
  const Where path{args_->credentials, args_->store};
  try {
    if (list_->parsed())
      return list(path, args_->json);
    if (show_->parsed())
      return show(path, args_->name);
    if (delete_->parsed())
      return remove(path, plugins, args_->name, args_->revoke);
    if (check_->parsed())
      return check(path, plugins, args_->name);
    if (rekey_->parsed())
      return rekey(path);
    if (migrate_->parsed())
      return migrate(path, args_->to, args_->replace);
  } catch (const CredentialError& e) {
    std::cerr << "sluice: " << e.what() << '\n';
    return exit_failed;
  } catch (const std::invalid_argument& e) {
    std::cerr << "sluice connections: " << e.what() << '\n';
    return exit_usage;
  }
  return exit_usage;
}

} // namespace sluice::cli
