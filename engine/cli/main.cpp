// `sluice`: run, validate, graph and inspect pipelines.

#include "commands.hpp"

#include "allocator.hpp"
#include "connect_command.hpp"
#include "connections_command.hpp"
#include "limit_options.hpp"
#include "serve_command.hpp"

#include <sluice/encoding.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  using namespace sluice::cli;
  CLI::App app{"Sluice: run dataflow pipelines declared in YAML.", "sluice"};
  app.set_version_flag("--version", "sluice " SLUICE_VERSION "\nmalloc: " + allocator_name());
  app.require_subcommand(1);
  app.footer("Exit status: 0 success, 1 the pipeline failed, 2 usage or validation error.\n"
             "Run 'sluice COMMAND --help' for a command's options.");

  PluginArgs plugin_args;
  const auto add_plugin_dir = [&](CLI::App* command) {
    command->add_option("--plugin-dir", plugin_args.dirs,
                        "Also load plugins from DIR (repeatable; searched before "
                        "SLUICE_PLUGIN_PATH and the installed plugins)");
    command->add_flag("--allow-unsafe-plugins", plugin_args.allow_unsafe,
                      "Also load plugin files that users other than you or root could have "
                      "written (the file or its directory writable by group or others, or "
                      "owned by another user); refused by default, since a plugin runs as you");
  };

  RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "Run a pipeline and print its outputs.");
  run->add_option("file", run_args.file, "Pipeline file (YAML)")->required();
  run->add_option("-i,--input", run_args.inputs, "An input as NAME=VALUE (repeatable)");
  run->add_option("--inputs", run_args.inputs_file, "A JSON file with an object of inputs");
  run->add_flag("--json", run_args.json, "Print the result as JSON on stdout");
  run->add_option("-j,--threads", run_args.threads, "Worker threads (default: all cores)");
  run->add_option("--trace", run_args.trace_file,
                  "Write a Chrome trace-event file of node timings (open in Perfetto)");
  run->add_flag("-q,--quiet", run_args.quiet, "No progress or summary on stderr");
  run->add_option("--record", run_args.record,
                  "Record every HTTP exchange into DIR/NAME.cassette.json (secrets redacted) and "
                  "start DIR/NAME.test.yaml with this run as its first case")
      ->type_name("DIR");
  // A flag, so that `--dry-run FILE` never takes FILE for its value: bare, CLI11 gives "true".
  run->add_flag("--dry-run", run_args.dry_run,
                "Change nothing: run the reads, hold back every request that could change "
                "something and print what a real run would send (=offline: send nothing)")
      ->check(
          [](const std::string& value) -> std::string {
            if (value == "true" || value == "reads" || value == "offline")
              return {};
            return "takes no value, or =offline (got '" + value + "')";
          },
          "")
      ->option_text("[=offline]");
  run->add_option("--credentials", run_args.credentials,
                  "The connection store nodes use (default: SLUICE_CREDENTIALS, else "
                  "$XDG_DATA_HOME/sluice/credentials.db)");
  add_limit_options(*run, run_args.limits, LimitScope::run);
  add_plugin_dir(run);

  std::vector<std::string> validate_files;
  sluice::Limits validate_limits;
  CLI::App* validate = app.add_subcommand("validate", "Check pipelines without running them.");
  validate->add_option("files", validate_files, "Pipeline files")->required();
  add_limit_options(*validate, validate_limits, LimitScope::load);
  add_plugin_dir(validate);

  TestArgs test_args;
  CLI::App* test = app.add_subcommand(
      "test", "Run pipeline tests: the cases in NAME.test.yaml files (see the README, "
              "'Testing pipelines').");
  test->add_option("paths", test_args.paths,
                   "Test files, or folders searched recursively for *.test.yaml (default: the "
                   "current folder)");
  test->add_option("--filter", test_args.filter, "Only run cases whose name contains TEXT");
  test->add_option("--junit", test_args.junit, "Also write the results to FILE as JUnit XML");
  test->add_option("--credentials", test_args.credentials,
                   "The connection store for nodes a case does not mock");
  test->add_flag("--rerecord", test_args.rerecord,
                 "Run the cases that have a cassette against the real services and record their "
                 "cassettes again (one case at a time)");
  add_limit_options(*test, test_args.limits, LimitScope::run);
  add_plugin_dir(test);
  test->footer("Exit status: 0 every case passed, 1 a case failed, 2 a test file could not run "
               "or none was found.");

  std::string graph_file;
  std::string graph_format = "dot";
  CLI::App* graph = app.add_subcommand("graph", "Print a pipeline's DAG (Graphviz or Mermaid).");
  graph->add_option("file", graph_file, "Pipeline file")->required();
  graph->add_option("--format", graph_format, "dot or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}))
      ->capture_default_str();
  sluice::Limits graph_limits;
  add_limit_options(*graph, graph_limits, LimitScope::load);
  add_plugin_dir(graph);

  bool nodes_json = false;
  CLI::App* nodes = app.add_subcommand("nodes", "List the node types available.");
  nodes->add_flag("--json", nodes_json, "Print as JSON");
  add_plugin_dir(nodes);

  std::string inspect_type;
  bool inspect_json = false;
  CLI::App* inspect =
      app.add_subcommand("inspect", "Describe a node type: settings, outputs, requirements.");
  inspect->add_option("type", inspect_type, "Node type, e.g. core.template")->required();
  inspect->add_flag("--json", inspect_json, "Print as JSON");
  add_plugin_dir(inspect);

  bool plugins_verbose = false;
  bool plugins_check = false;
  CLI::App* plugins = app.add_subcommand("plugins", "List the plugins found on the plugin path.");
  plugins->add_flag("-v,--verbose", plugins_verbose, "Also show plugins shadowed by earlier ones");
  plugins->add_flag("--check", plugins_check,
                    "Explain for every file on the plugin path why it did or did not load");
  add_plugin_dir(plugins);

  CLI::App* schema = app.add_subcommand(
      "schema", "Print a JSON Schema of the pipeline format with every node type's settings.");
  add_plugin_dir(schema);

  ConnectionsCommand connections(app);
  add_plugin_dir(connections.command());
  ConnectCommand connect(app);
  add_plugin_dir(connect.command());
  ServeCommand serve(app);
  add_plugin_dir(serve.command());
  WorkerCommand worker(app);
  add_plugin_dir(worker.command());
  TokensCommand tokens(app);
  SecretsCommand secrets(app);
  RunsCommand runs(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 returns 0 for --help/--version and its own codes otherwise; usage errors are 2.
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }

  try {
    if (*run)
      return run_command(run_args, plugin_args);
    if (*test)
      return test_command(test_args, plugin_args);
    if (*validate)
      return validate_command(validate_files, plugin_args, validate_limits);
    if (*graph)
      return graph_command(graph_file, graph_format, plugin_args, graph_limits);
    if (*nodes)
      return nodes_command(nodes_json, plugin_args);
    if (*inspect)
      return inspect_command(inspect_type, inspect_json, plugin_args);
    if (*plugins)
      return plugins_command(plugins_verbose, plugins_check, plugin_args);
    if (*schema)
      return schema_command(plugin_args);
    if (connections.selected())
      return connections.run(plugin_args);
    if (connect.selected())
      return connect.run(plugin_args);
    if (serve.selected())
      return serve.run(plugin_args);
    if (worker.selected())
      return worker.run(plugin_args);
    if (tokens.selected())
      return tokens.run();
    if (secrets.selected())
      return secrets.run();
    if (runs.selected())
      return runs.run();
  } catch (const std::exception& e) {
    std::cerr << "sluice: error: " << sluice::printable(e.what()) << '\n';
    return exit_failed;
  }
  return exit_usage;
}
