// plugin_file_trust.cpp: who could have written a plugin file, on real files and directories
// with real modes and owners (the owner cases need root, as CI runs).

#include "plugin_file_trust.hpp"

#include "support/numbered.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <pwd.h>
#include <unistd.h>

using sluice::detail::TrustProblem;
using sluice::detail::untrusted_plugin_problem;
namespace fs = std::filesystem;

namespace {

fs::path plugin_file(const fs::path& file, int mode) {
  std::ofstream(file) << "stands for a plugin: only its metadata matters here";
  fs::permissions(file, fs::perms(mode));
  return file;
}

fs::path directory(const fs::path& dir, int mode) {
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms(mode));
  return fs::canonical(dir);
}

std::string why(const fs::path& file) {
  return untrusted_plugin_problem(file).why;
}

std::string fix(const fs::path& file) {
  return untrusted_plugin_problem(file).fix;
}

} // namespace

TEST_CASE("a file and directory only you or root can write are trusted; a sticky directory too") {
  test_support::TempDir dir;
  const fs::path safe = directory(dir / "safe", 0755);
  CHECK(why(plugin_file(safe / "libread.so", 0644)) == "");
  CHECK(why(plugin_file(safe / "libexec.so", 0755)) == "");
  CHECK(why(plugin_file(safe / "libmine.so", 0600)) == "");
  // In a sticky directory others may add files but cannot replace yours (theirs are refused
  // by owner, below).
  const fs::path sticky = directory(dir / "sticky", 01777);
  CHECK(why(plugin_file(sticky / "libx.so", 0644)) == "");
}

TEST_CASE("a file writable by group or others is refused, saying by whom and the mode") {
  test_support::TempDir dir;
  const fs::path safe = directory(dir / "safe", 0755);
  const TrustProblem both = untrusted_plugin_problem(plugin_file(safe / "libboth.so", 0666));
  CHECK(both.why == "the file is writable by group and others (mode 0666)");
  CHECK(both.fix == "chmod go-w");
  CHECK(why(plugin_file(safe / "libgroup.so", 0664)) ==
        "the file is writable by group (mode 0664)");
  CHECK(why(plugin_file(safe / "libothers.so", 0602)) ==
        "the file is writable by others (mode 0602)");
}

TEST_CASE("a directory writable by group or others without the sticky bit is refused") {
  test_support::TempDir dir;
  const fs::path wide = directory(dir / "wide", 0777);
  CHECK(why(plugin_file(wide / "libx.so", 0644)) == "its directory " + wide.string() +
                                                        " is writable by group and others (mode "
                                                        "0777, no sticky bit)");
  CHECK(fix(wide / "libx.so") == "chmod go-w " + wide.string());
  const fs::path group = directory(dir / "group", 0775);
  CHECK(why(plugin_file(group / "libx.so", 0644)) ==
        "its directory " + group.string() + " is writable by group (mode 0775, no sticky bit)");
}

TEST_CASE("through a symbolic link, the file it links to and both directories count") {
  test_support::TempDir dir;
  const fs::path safe = directory(dir / "safe", 0755);
  const fs::path wide = directory(dir / "wide", 0777);
  plugin_file(safe / "libreal.so", 0644);
  plugin_file(wide / "libreal.so", 0644);

  fs::create_symlink("libreal.so", safe / "liblink.so");
  CHECK(why(safe / "liblink.so") == "");
  // The file is in a directory anyone can write: the link leads there.
  fs::create_symlink("../wide/libreal.so", safe / "libintowide.so");
  CHECK(why(safe / "libintowide.so") == "its directory " + wide.string() +
                                            " is writable by group and others (mode 0777, no "
                                            "sticky bit)");
  // The link is in a directory anyone can write: it can be pointed elsewhere.
  fs::create_symlink("../safe/libreal.so", wide / "libfromwide.so");
  CHECK(why(wide / "libfromwide.so") == "its directory " + wide.string() +
                                            " is writable by group and others (mode 0777, no "
                                            "sticky bit)");
  // The fix names the file the link leads to.
  const fs::path open = plugin_file(safe / "libopen.so", 0666);
  fs::create_symlink("libopen.so", safe / "libtoopen.so");
  const TrustProblem linked = untrusted_plugin_problem(safe / "libtoopen.so");
  CHECK(linked.why ==
        "the file it links to, " + open.string() + ", is writable by group and others (mode 0666)");
  CHECK(linked.fix == "chmod go-w " + open.string());
}

TEST_CASE("a file or directory owned by another user than you or root is refused") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: giving a file to another user needs root");
    return;
  }
  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  const std::string who = test_support::numbered("nobody (uid ", nobody->pw_uid) + ")";
  test_support::TempDir dir;
  const fs::path safe = directory(dir / "safe", 0755);
  const fs::path theirs = plugin_file(safe / "libtheirs.so", 0644);
  REQUIRE(::chown(theirs.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
  const TrustProblem file = untrusted_plugin_problem(theirs);
  CHECK(file.why == "the file is owned by " + who + ", not by root");
  CHECK(file.fix == "chown");

  const fs::path their_dir = directory(dir / "their_dir", 0755);
  REQUIRE(::chown(their_dir.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
  CHECK(why(plugin_file(their_dir / "libx.so", 0644)) ==
        "its directory " + their_dir.string() + " is owned by " + who + ", not by root");

  // What another user adds to a sticky directory is theirs, so it is refused.
  const fs::path sticky = directory(dir / "sticky", 01777);
  const fs::path added = plugin_file(sticky / "libadded.so", 0644);
  REQUIRE(::chown(added.c_str(), nobody->pw_uid, nobody->pw_gid) == 0);
  CHECK(why(added) == "the file is owned by " + who + ", not by root");
}
