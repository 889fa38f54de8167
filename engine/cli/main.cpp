// `sluice`: run, validate, graph and inspect pipelines.

#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

constexpr const char* version_text = "sluice " SLUICE_VERSION;

} // namespace

int main(int argc, char** argv) {
  using namespace sluice::cli;
  CLI::App app{"Sluice: run dataflow pipelines declared in YAML.", "sluice"};
  app.set_version_flag("--version", version_text);
  app.require_subcommand(1);
  app.footer("Exit status: 0 success, 1 the pipeline failed, 2 usage or validation error.\n"
             "Run 'sluice COMMAND --help' for a command's options.");

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

  std::vector<std::string> validate_files;
  CLI::App* validate = app.add_subcommand("validate", "Check pipelines without running them.");
  validate->add_option("files", validate_files, "Pipeline files")->required();

  std::string graph_file;
  std::string graph_format = "dot";
  CLI::App* graph = app.add_subcommand("graph", "Print a pipeline's DAG (Graphviz or Mermaid).");
  graph->add_option("file", graph_file, "Pipeline file")->required();
  graph->add_option("--format", graph_format, "dot or mermaid")
      ->check(CLI::IsMember({"dot", "mermaid"}))
      ->capture_default_str();

  bool nodes_json = false;
  CLI::App* nodes = app.add_subcommand("nodes", "List the node types available.");
  nodes->add_flag("--json", nodes_json, "Print as JSON");

  std::string inspect_type;
  bool inspect_json = false;
  CLI::App* inspect =
      app.add_subcommand("inspect", "Describe a node type: settings, outputs, requirements.");
  inspect->add_option("type", inspect_type, "Node type, e.g. core.template")->required();
  inspect->add_flag("--json", inspect_json, "Print as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 returns 0 for --help/--version and its own codes otherwise; usage errors are 2.
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }

  try {
    if (*run)
      return run_command(run_args);
    if (*validate)
      return validate_command(validate_files);
    if (*graph)
      return graph_command(graph_file, graph_format);
    if (*nodes)
      return nodes_command(nodes_json);
    if (*inspect)
      return inspect_command(inspect_type, inspect_json);
  } catch (const std::exception& e) {
    std::cerr << "sluice: error: " << e.what() << '\n';
    return exit_failed;
  }
  return exit_usage;
}
