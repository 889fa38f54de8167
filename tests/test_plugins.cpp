// The plugin loader against real shared libraries built by the test suite: a good plugin
// (whose node arms a timer on the host's executor), one file per refusal case, and bad files
// on the plugin path (cut short, symlink loops, unreadable, writable by others), through the
// engine and the `sluice` command.

#include "support/files.hpp"
#include "support/numbered.hpp"
#include "support/temp_dir.hpp"

#include <sluice/engine.hpp>
#include <sluice/plugin.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <map>
#include <pwd.h>
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

  const PluginFileReport& foreign = reports.at("bad/libtestforeign.so");
  CHECK(foreign.status == PluginFileStatus::failed);
  CHECK(foreign.message == "plugin 'testforeign' (libtestforeign.so): settings check for node "
                           "type 'testgood.echo', which this plugin does not register");

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

TEST_CASE("validation runs a plugin's settings check on literals, not on templates") {
  Engine engine(engine_options(1));
  engine.load_plugins({root / "good"});
  try {
    engine.load_string("version: 1\nnodes:\n  e: { type: testgood.echo, with: { value: bad } }\n",
                       "p.yaml");
    FAIL("expected a LoadError");
  } catch (const LoadError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].to_string() == "p.yaml:3:44: error: setting 'value' of "
                                            "testgood.echo: \"bad\" is refused by testgood's "
                                            "check");
  }
  // The same value computed by a template is known only when the node runs.
  const Pipeline p = engine.load_string(
      "version: 1\ninputs: { v: { type: string, default: bad } }\n"
      "nodes:\n  e: { type: testgood.echo, with: { value: \"{{ inputs.v }}\" } }\n",
      "p.yaml");
  CHECK(engine.run(p).ok());
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
  CliOutput o{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, test_support::read_file(dir / "out"),
              test_support::read_file(dir / "err")};
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

// Bad files on the plugin path: each is one report, and never stops the other plugins.

namespace {

using test_support::numbered;
using test_support::TempDir;

const fs::path good_plugin = root / "good" / "libtestgood.so";

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path copy_plugin(const fs::path& to, fs::perms mode = fs::perms(0644)) {
  fs::copy_file(good_plugin, to);
  fs::permissions(to, mode);
  return to;
}

fs::path make_dir(const fs::path& dir, fs::perms mode = fs::perms(0755)) {
  fs::create_directory(dir);
  fs::permissions(dir, mode);
  return dir;
}

// A pipeline that needs the good plugin, and what it prints.
fs::path sleep_pipeline(const TempDir& dir) {
  fs::path file = dir / "sleep.yaml";
  std::ofstream(file) << "version: 1\nnodes:\n  nap: { type: testgood.sleep, with: { ms: 5 } }\n"
                         "outputs: { slept: \"{{ nap.slept }}\" }\n";
  return file;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Where the first half of the good plugin's loaded part ends, and the refusal of that prefix:
// the first segment that ends past the cut, worked out from the plugin's own headers.
std::pair<std::size_t, std::string> half_plugin(const std::string& bytes) {
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof header);
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  std::memcpy(segments.data(), bytes.data() + header.e_phoff, segments.size() * sizeof(Elf64_Phdr));
  std::size_t end = 0;
  for (const Elf64_Phdr& s : segments)
    if (s.p_type == PT_LOAD)
      end = std::max<std::size_t>(end, s.p_offset + s.p_filesz);
  const std::size_t cut = end / 2;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Elf64_Phdr& s = segments[i];
    if ((s.p_type == PT_LOAD || s.p_type == PT_DYNAMIC) && s.p_offset + s.p_filesz > cut)
      return {cut, numbered("segment ", i) + (s.p_type == PT_LOAD ? " (LOAD)" : " (DYNAMIC)") +
                       numbered(" ends at byte ", s.p_offset + s.p_filesz) +
                       numbered(" but the file has ", cut) + " bytes (truncated?)"};
  }
  return {cut, "(no segment crosses the cut)"};
}

} // namespace

TEST_CASE("a plugin file cut short is refused before dlopen; the other plugins still load") {
  // dlopen() maps segments from the file: one cut short killed every command with SIGBUS.
  TempDir dir;
  const fs::path first = make_dir(dir / "first");
  const fs::path later = make_dir(dir / "later");
  const std::string bytes = read_text(good_plugin);
  const auto [cut, why] = half_plugin(bytes);
  std::ofstream(first / "libhalf.so", std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(cut));
  copy_plugin(first / "libtestgood.so"); // same directory, after the cut file
  copy_plugin(later / "libtestgood.so"); // a later directory
  const std::string refusal = "libhalf.so: not a loadable shared library: " + why;

  Engine engine(engine_options(1));
  const auto reports = by_file(engine.load_plugins({first, later}));
  CHECK(reports.at("first/libhalf.so").status == PluginFileStatus::failed);
  CHECK(reports.at("first/libhalf.so").message == refusal);
  CHECK(reports.at("first/libtestgood.so").status == PluginFileStatus::loaded);
  CHECK(reports.at("later/libtestgood.so").status == PluginFileStatus::shadowed);
  CHECK(engine.find_node_type("testgood.sleep") != nullptr);

  const std::string dirs = " --plugin-dir " + first.string() + " --plugin-dir " + later.string();
  const CliOutput check = sluice_cli("plugins --check" + dirs);
  CHECK(check.status == 1);
  CHECK(contains(check.out, "failed        " + (first / "libhalf.so").string() + "\n" +
                                "              " + refusal + "\n"));
  CHECK(contains(check.out, "loaded        " + (first / "libtestgood.so").string()));
  const CliOutput validate = sluice_cli("validate " + sleep_pipeline(dir).string() + dirs);
  CHECK(validate.status == 0);
  CHECK(contains(validate.err, "sluice: warning: " + refusal));
  const CliOutput run = sluice_cli("run -q " + sleep_pipeline(dir).string() + dirs);
  CHECK(run.status == 0);
  CHECK(run.out == "slept: 5\n");
  CHECK(contains(run.err, "sluice: warning: " + refusal));
}

TEST_CASE("a symlink loop, a dangling link or an unreadable entry is reported, not fatal") {
  // directory_iterator's throwing calls once made one such entry stop every command.
  TempDir dir;
  const fs::path plugins = make_dir(dir / "plugins");
  fs::create_symlink("libloop.so", plugins / "libloop.so");
  fs::create_symlink("missing.so", plugins / "libdangling.so");
  make_dir(plugins / "libdir.so"); // a directory is not a plugin file: passed over in silence
  copy_plugin(plugins / "libtestgood.so");
  const fs::path loop_dir = dir / "loop_dir";
  fs::create_symlink("loop_dir", loop_dir);
  const std::string too_many_links = std::make_error_code(std::errc::too_many_symbolic_link_levels)
                                         .message(); // "Too many levels of symbolic links"

  Engine engine(engine_options(1));
  const auto list = engine.load_plugins({loop_dir, plugins, dir / "missing"});
  const auto reports = by_file(list);
  CHECK(list.size() == 4);
  CHECK(reports.at("plugins/libloop.so").status == PluginFileStatus::failed);
  CHECK(reports.at("plugins/libloop.so").message ==
        "libloop.so: cannot read it: " + too_many_links);
  CHECK(reports.at("plugins/libdangling.so").status == PluginFileStatus::failed);
  CHECK(reports.at("plugins/libdangling.so").message ==
        "libdangling.so: a symbolic link to a missing file (missing.so)");
  CHECK(reports.at("plugins/libtestgood.so").status == PluginFileStatus::loaded);
  REQUIRE(list.front().file == loop_dir);
  CHECK(list.front().status == PluginFileStatus::failed);
  CHECK(list.front().message ==
        loop_dir.string() + ": cannot read the plugin directory: " + too_many_links);

  const std::string dirs =
      " --plugin-dir " + loop_dir.string() + " --plugin-dir " + plugins.string();
  const CliOutput check = sluice_cli("plugins --check" + dirs);
  CHECK(check.status == 1);
  CHECK(contains(check.out, "failed        " + (plugins / "libloop.so").string()));
  CHECK(contains(check.out, "libdangling.so: a symbolic link to a missing file (missing.so)"));
  CHECK(contains(check.out, "loaded        " + (plugins / "libtestgood.so").string()));
  const CliOutput run = sluice_cli("run -q " + sleep_pipeline(dir).string() + dirs);
  CHECK(run.status == 0);
  CHECK(run.out == "slept: 5\n");
  CHECK(contains(run.err, "sluice: warning: libloop.so: cannot read it: " + too_many_links));

  // Unreadable entries. Root reads everything, so as root `sluice` runs as nobody.
  const fs::path readable = make_dir(dir / "readable");
  const fs::path locked = make_dir(dir / "locked", fs::perms(0700));
  copy_plugin(readable / "libsecret.so", fs::perms(0600));
  copy_plugin(readable / "libtestgood.so");
  copy_plugin(locked / "libtestgood.so");
  const bool root = ::geteuid() == 0;
  if (!root) {
    fs::permissions(locked, fs::perms::none);
    fs::permissions(readable / "libsecret.so", fs::perms::none);
  }
  const CliOutput unreadable = sluice_cli(
      "plugins --check --plugin-dir " + locked.string() + " --plugin-dir " + readable.string(),
      root ? "setpriv --reuid=nobody --regid=nogroup --clear-groups " : "");
  if (!root) {
    fs::permissions(locked, fs::perms(0700));
    fs::permissions(readable / "libsecret.so", fs::perms(0600));
  }
  const std::string denied = std::make_error_code(std::errc::permission_denied).message();
  CHECK(unreadable.status == 1);
  CHECK(
      contains(unreadable.out, locked.string() + ": cannot read the plugin directory: " + denied));
  CHECK(contains(unreadable.out, "libsecret.so: cannot open it: " + denied));
  CHECK(contains(unreadable.out, "loaded        " + (readable / "libtestgood.so").string()));
}

TEST_CASE("plugin files or directories others can write are refused, unless allowed") {
  TempDir dir;
  const fs::path open = make_dir(dir / "open");
  copy_plugin(open / "libtestgood.so", fs::perms(0666));
  const std::string refusal = "libtestgood.so: refused: the file is writable by group and others "
                              "(mode 0666); fix with chmod go-w, or ";

  Engine engine(engine_options(1));
  const auto refused = engine.load_plugins({open});
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].status == PluginFileStatus::refused);
  CHECK(refused[0].message == refusal + "set PluginLoadOptions::allow_unsafe_permissions");
  CHECK(engine.find_node_type("testgood.sleep") == nullptr);
  PluginLoadOptions allow;
  allow.allow_unsafe_permissions = true;
  const auto allowed = engine.load_plugins({open}, allow);
  REQUIRE(allowed.size() == 1);
  CHECK(allowed[0].status == PluginFileStatus::loaded);

  const fs::path wide = make_dir(dir / "wide", fs::perms(0777));
  copy_plugin(wide / "libtestgood.so");
  Engine wide_engine(engine_options(1));
  const auto wide_reports = wide_engine.load_plugins({wide});
  REQUIRE(wide_reports.size() == 1);
  CHECK(wide_reports[0].status == PluginFileStatus::refused);
  const std::string wide_path = fs::canonical(wide).string();
  CHECK(wide_reports[0].message ==
        "libtestgood.so: refused: its directory " + wide_path +
            " is writable by group and others (mode 0777, no sticky bit); fix with chmod go-w " +
            wide_path + ", or set PluginLoadOptions::allow_unsafe_permissions");

  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    REQUIRE(nobody != nullptr);
    const fs::path theirs = make_dir(dir / "theirs");
    const fs::path file = copy_plugin(theirs / "libtestgood.so");
    REQUIRE(::chown(file.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
    Engine their_engine(engine_options(1));
    const auto their_reports = their_engine.load_plugins({theirs});
    REQUIRE(their_reports.size() == 1);
    CHECK(their_reports[0].status == PluginFileStatus::refused);
    CHECK(their_reports[0].message ==
          numbered("libtestgood.so: refused: the file is owned by nobody (uid ", nobody->pw_uid) +
              "), not by root; fix with chown, or set PluginLoadOptions::allow_unsafe_permissions");
  } else {
    MESSAGE("skipped: a plugin owned by another user (giving it away needs root)");
  }

  // The command line: refused with the flag to pass, loaded with it, wherever --plugin-dir is.
  const std::string open_dir = " --plugin-dir " + open.string();
  const CliOutput check = sluice_cli("plugins --check" + open_dir);
  CHECK(check.status == 1);
  CHECK(contains(check.out, "refused       " + (open / "libtestgood.so").string() + "\n" +
                                "              " + refusal + "pass --allow-unsafe-plugins\n"));
  const CliOutput check_allowed = sluice_cli("plugins --check --allow-unsafe-plugins" + open_dir);
  CHECK(check_allowed.status == 0);
  CHECK(contains(check_allowed.out, "loaded        " + (open / "libtestgood.so").string()));
  const CliOutput run = sluice_cli("run -q " + sleep_pipeline(dir).string() + open_dir);
  CHECK(run.status == 2);
  CHECK(contains(run.err, "sluice: warning: " + refusal + "pass --allow-unsafe-plugins"));
  const CliOutput run_allowed =
      sluice_cli("run -q --allow-unsafe-plugins " + sleep_pipeline(dir).string() + open_dir);
  CHECK(run_allowed.status == 0);
  CHECK(run_allowed.out == "slept: 5\n");
  CHECK(run_allowed.err == "");
  // `sluice connect` parses its own options after the provider's name.
  CHECK(contains(sluice_cli("connect" + open_dir).err, refusal));
  CHECK(sluice_cli("connect --allow-unsafe-plugins" + open_dir).err == "");
  CHECK(contains(sluice_cli("connect nosuch" + open_dir).err, refusal));
  CHECK(!contains(sluice_cli("connect nosuch --allow-unsafe-plugins" + open_dir).err, refusal));
  for (const char* command : {"run", "validate", "graph", "nodes", "inspect", "plugins", "schema",
                              "connections", "connect"}) {
    CAPTURE(command);
    CHECK(contains(sluice_cli(std::string(command) + " --help").out, "--allow-unsafe-plugins"));
  }
}
