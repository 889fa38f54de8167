// The plugin loader against real shared libraries built by the test suite: a good plugin
// (whose node arms a timer on the host's executor), and one file per refusal case.

#include <sluice/engine.hpp>
#include <sluice/plugin.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace sluice;
namespace fs = std::filesystem;

namespace {

EngineOptions engine_options(unsigned threads) {
  EngineOptions options;
  options.threads = threads;
  return options;
}

const fs::path root = fs::path(SLUICE_TEST_PLUGIN_DIR);

std::map<std::string, PluginFileReport> by_file(const std::vector<PluginFileReport>& reports) {
  std::map<std::string, PluginFileReport> out;
  for (const PluginFileReport& r : reports)
    out[r.file.parent_path().filename().string() + "/" + r.file.filename().string()] = r;
  return out;
}

std::string host_side() {
  return "Sluice SDK " + std::to_string(SLUICE_SDK_ABI_MAJOR) + "." +
         std::to_string(SLUICE_SDK_ABI_MINOR) + " with " SLUICE_BUILD_COMPILER " (" +
         SLUICE_BUILD_STDLIB + ") / Boost " + std::to_string(BOOST_VERSION / 100000) + "." +
         std::to_string(BOOST_VERSION / 100 % 1000);
}

} // namespace

TEST_CASE("every refusal is one clear line, and the good plugins still load") {
  Engine engine(engine_options(2));
  const auto reports = by_file(engine.load_plugins({root / "good", root / "bad", root / "shadow"}));

  const PluginFileReport& good = reports.at("good/libtestgood.so");
  CHECK(good.status == PluginFileStatus::loaded);
  CHECK(good.name == "testgood");
  CHECK(good.version == "1.2.3");
  CHECK(good.node_types == std::vector<std::string>{"testgood.echo", "testgood.sleep"});

  const PluginFileReport& shadow = reports.at("shadow/libtestgood.so");
  CHECK(shadow.status == PluginFileStatus::shadowed);
  CHECK(shadow.message == "plugin 'testgood' (libtestgood.so) is shadowed by the one in " +
                              (root / "good" / "libtestgood.so").string() +
                              " (found earlier on the plugin path)");

  const PluginFileReport& dup = reports.at("bad/libtestdup.so");
  CHECK(dup.status == PluginFileStatus::failed);
  CHECK(dup.message == "plugin 'testdup' (libtestdup.so): node type 'testgood.echo' is already "
                       "registered (plugin 'testgood' (libtestgood.so))");

  const PluginFileReport& throws = reports.at("bad/libtestthrows.so");
  CHECK(throws.status == PluginFileStatus::failed);
  CHECK(throws.message == "plugin 'testthrows' (libtestthrows.so): registration failed: the "
                          "configuration file /etc/nowhere is missing");

  const PluginFileReport& magic = reports.at("bad/libtestforged_magic.so");
  CHECK(magic.status == PluginFileStatus::not_a_plugin);
  CHECK(magic.message ==
        "libtestforged_magic.so: not a Sluice plugin (its descriptor has the wrong magic number)");

  const PluginFileReport& abi = reports.at("bad/libtestforged_abi.so");
  CHECK(abi.status == PluginFileStatus::refused);
  CHECK(abi.message == "plugin 'forged' (libtestforged_abi.so) was built for Sluice SDK " +
                           std::to_string(SLUICE_SDK_ABI_MAJOR + 1) +
                           ".0 with " SLUICE_BUILD_COMPILER " (" SLUICE_BUILD_STDLIB ") / Boost " +
                           std::to_string(BOOST_VERSION / 100000) + "." +
                           std::to_string(BOOST_VERSION / 100 % 1000) + "; this host is " +
                           host_side());

  const PluginFileReport& toolchain = reports.at("bad/libtestforged_toolchain.so");
  CHECK(toolchain.status == PluginFileStatus::refused);
  CHECK(toolchain.message ==
        "plugin 'forged' (libtestforged_toolchain.so) was built for Sluice SDK " +
            std::to_string(SLUICE_SDK_ABI_MAJOR) + "." + std::to_string(SLUICE_SDK_ABI_MINOR) +
            " with GCC 13.1 (" SLUICE_BUILD_STDLIB ") / Boost 1.83; this host is " + host_side());

  const PluginFileReport& plain = reports.at("bad/libtestnotaplugin.so");
  CHECK(plain.status == PluginFileStatus::not_a_plugin);
  CHECK(plain.message ==
        "libtestnotaplugin.so: not a Sluice plugin (no sluice_plugin_entry_v1 symbol)");

  const PluginFileReport& missing = reports.at("bad/libtestmissingsymbol.so");
  CHECK(missing.status == PluginFileStatus::failed);
  CHECK(missing.message == "libtestmissingsymbol.so: cannot load: undefined symbol: "
                           "sluice_test_symbol_that_does_not_exist");

  // Nothing of the refused or failed plugins was registered.
  CHECK(engine.find_node_type("testgood.echo") != nullptr);
  CHECK(engine.node_types().size() == 7 + 2); // core.* and testgood.*
}

TEST_CASE("a plugin's node arms a timer on the host's executor and it fires") {
  Engine engine(engine_options(2));
  engine.load_plugins({root / "good"});
  const Pipeline p = engine.load_string(R"(
version: 1
nodes:
  nap: { type: testgood.sleep, with: { ms: 30 } }
  naps: { type: testgood.sleep, for_each: "{{ inputs.list }}", with: { ms: "{{ item }}" } }
  echo: { type: testgood.echo, with: { value: "{{ nap.slept }}" } }
inputs:
  list: { type: array, default: [5, 10, 1] }
outputs:
  echoed: "{{ echo.value }}"
  naps: "{{ naps }}"
)");
  for (int run = 0; run < 20; ++run) {
    const RunResult r = engine.run(p);
    REQUIRE(r.ok());
    CHECK(r.outputs["echoed"] == Value(30));
    CHECK(r.outputs["naps"][1]["slept"] == Value(10));
  }
}

TEST_CASE("validation uses a plugin's declarations") {
  Engine engine(engine_options(1));
  engine.load_plugins({root / "good"});
  try {
    engine.load_string("version: 1\nnodes:\n  e: { type: testgood.echo, with: { valeu: 1 } }\n",
                       "p.yaml");
    FAIL("expected a LoadError");
  } catch (const LoadError& e) {
    REQUIRE(e.diagnostics().size() == 2);
    CHECK(e.diagnostics()[0].to_string() ==
          "p.yaml:3:3: error: node 'e' (testgood.echo) is missing required setting 'value'\n"
          "  hint: add 'value' (any) under 'with:'");
    CHECK(e.diagnostics()[1].to_string() ==
          "p.yaml:3:37: error: unknown setting 'valeu' for testgood.echo\n"
          "  hint: did you mean 'value'? settings of testgood.echo: value");
  }
}

namespace {

struct CliOutput {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs the real `sluice` with `env` prepended (e.g. "SLUICE_PLUGIN_PATH=... ").
CliOutput sluice_cli(const std::string& args, const std::string& env = {}) {
  const fs::path dir = fs::temp_directory_path() / ("sluice-plugins-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string command = env + std::string(SLUICE_CLI) + " " + args + " </dev/null >" +
                              (dir / "out").string() + " 2>" + (dir / "err").string();
  const int raw = std::system(command.c_str());
  const auto slurp = [](const fs::path& f) {
    std::ifstream in(f);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  CliOutput o{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(dir / "out"), slurp(dir / "err")};
  fs::remove_all(dir);
  return o;
}

} // namespace

TEST_CASE("sluice plugins, --check, -v, inspect, schema and run with --plugin-dir") {
  const std::string good = "--plugin-dir " + (root / "good").string();

  const CliOutput list = sluice_cli("plugins " + good);
  CHECK(list.status == 0);
  CHECK(list.out.find("testgood 1.2.3  " + (root / "good" / "libtestgood.so").string()) !=
        std::string::npos);
  CHECK(list.out.find("node types: testgood.echo, testgood.sleep") != std::string::npos);

  const CliOutput shadowed =
      sluice_cli("plugins -v " + good + " --plugin-dir " + (root / "shadow").string());
  CHECK(shadowed.out.find("(shadowed) plugin 'testgood' (libtestgood.so) is shadowed") !=
        std::string::npos);

  const CliOutput check =
      sluice_cli("plugins --check " + good + " --plugin-dir " + (root / "bad").string());
  CHECK(check.status == 1); // refused and failed files are problems
  CHECK(check.out.find("refused       " + (root / "bad" / "libtestforged_abi.so").string()) !=
        std::string::npos);
  CHECK(check.out.find("libtestthrows.so): registration failed") != std::string::npos);

  // The environment variable is searched after --plugin-dir; warnings name bad files.
  const CliOutput env = sluice_cli("nodes", "SLUICE_PLUGIN_PATH=" + (root / "good").string() + ":" +
                                                (root / "bad").string() + " ");
  CHECK(env.status == 0);
  CHECK(env.out.find("testgood.sleep") != std::string::npos);
  CHECK(env.err.find("sluice: warning: plugin 'testthrows' (libtestthrows.so): registration "
                     "failed") != std::string::npos);

  const CliOutput inspect = sluice_cli("inspect testgood.sleep " + good);
  CHECK(inspect.status == 0);
  CHECK(inspect.out.find("Waits `ms` on a timer armed by plugin code.") != std::string::npos);

  const CliOutput schema = sluice_cli("schema " + good);
  REQUIRE(schema.status == 0);
  const Value s = Value::parse_json(schema.out);
  bool found = false;
  for (const Value& branch : s["properties"]["nodes"]["additionalProperties"]["allOf"].as_array())
    if (branch["if"]["properties"]["type"]["const"] == Value("testgood.sleep")) {
      found = true;
      CHECK(branch["then"]["properties"]["with"]["required"] == Value(Array{"ms"}));
    }
  CHECK(found);

  const fs::path pipeline = fs::temp_directory_path() / "sluice-plugin-pipeline.yaml";
  std::ofstream(pipeline) << "version: 1\nnodes:\n  nap: { type: testgood.sleep, with: { ms: 20 "
                             "} }\noutputs: { slept: \"{{ nap.slept }}\" }\n";
  const CliOutput run = sluice_cli("run -q " + pipeline.string() + " " + good);
  CHECK(run.status == 0);
  CHECK(run.out == "slept: 20\n");
  const CliOutput without = sluice_cli("run -q " + pipeline.string());
  CHECK(without.status == 2);
  CHECK(without.err.find("unknown node type 'testgood.sleep'") != std::string::npos);
  fs::remove(pipeline);
}
