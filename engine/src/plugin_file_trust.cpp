// The ownership and permission rules a plugin file and its directories must meet before the
// loader runs any of the plugin's code.

#include "plugin_file_trust.hpp"

#include <sluice/encoding.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <pwd.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace sluice::detail {

namespace {

namespace fs = std::filesystem;

// "nobody (uid 65534)", or "uid 65534" for a uid without a name.
std::string user_text(uid_t uid) {
  std::vector<char> buffer(1024);
  passwd entry{};
  passwd* found = nullptr;
  // getpwuid_r, not getpwuid: plugins may be loaded by several threads at once.
  while (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < (std::size_t{1} << 20))
    buffer.resize(buffer.size() * 2);
  if (found == nullptr)
    return fmt::format("uid {}", uid);
  return fmt::format("{} (uid {})", printable(entry.pw_name), uid);
}

std::string writers(mode_t mode) {
  const bool group = (mode & S_IWGRP) != 0;
  const bool others = (mode & S_IWOTH) != 0;
  return group && others ? "group and others" : group ? "group" : "others";
}

// `subject` reads as the start of a sentence ("the file", "its directory /x"); `target` is
// what the fix names (empty: the file the message is about).
TrustProblem rule_problem(const std::string& subject, const std::string& target,
                          const struct stat& info) {
  const std::string named = target.empty() ? "" : " " + target;
  const uid_t me = ::geteuid();
  if (info.st_uid != me && info.st_uid != 0)
    return {fmt::format("{} is owned by {}, not by {}", subject, user_text(info.st_uid),
                        me == 0 ? "root" : "you or root"),
            "chown" + named};
  // In a sticky directory only a file's owner (or the directory's, or root) may rename or
  // remove it, so others can add files but not replace the caller's; what they add is owned
  // by them, and refused by the rule above.
  const bool sticky_directory = S_ISDIR(info.st_mode) && (info.st_mode & S_ISVTX) != 0;
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !sticky_directory)
    return {fmt::format("{} is writable by {} (mode {:04o}{})", subject, writers(info.st_mode),
                        info.st_mode & 07777, S_ISDIR(info.st_mode) ? ", no sticky bit" : ""),
            "chmod go-w" + named};
  return {};
}

// Fills `info`; on failure, the problem saying so.
TrustProblem stat_problem(const fs::path& path, struct stat& info) {
  if (::stat(path.c_str(), &info) == 0)
    return {};
  const int error = errno;
  return {fmt::format("cannot examine {}: {}", printable(path.string()),
                      std::generic_category().message(error)),
          {}};
}

} // namespace

TrustProblem untrusted_plugin_problem(const fs::path& file) {
  std::error_code ec;
  const fs::path real = fs::canonical(file, ec);
  if (ec)
    return {fmt::format("cannot resolve its path: {}", ec.message()), {}};
  const bool linked = fs::is_symlink(fs::symlink_status(file, ec));

  struct stat info {};
  if (TrustProblem problem = stat_problem(real, info); !problem.why.empty())
    return problem;
  const std::string shown_real = printable(real.string());
  if (TrustProblem problem =
          linked ? rule_problem("the file it links to, " + shown_real + ",", shown_real, info)
                 : rule_problem("the file", {}, info);
      !problem.why.empty())
    return problem;

  // The directory holding the file, and the one holding the link to it: whoever can write
  // either can swap the plugin for another.
  std::vector<fs::path> directories{real.parent_path()};
  if (linked) {
    const fs::path link_directory =
        fs::canonical(file.has_parent_path() ? file.parent_path() : fs::path("."), ec);
    if (ec)
      return {fmt::format("cannot resolve its directory: {}", ec.message()), {}};
    if (link_directory != directories.front())
      directories.push_back(link_directory);
  }
  for (const fs::path& directory : directories) {
    if (TrustProblem problem = stat_problem(directory, info); !problem.why.empty())
      return problem;
    const std::string shown = printable(directory.string());
    if (TrustProblem problem = rule_problem("its directory " + shown, shown, info);
        !problem.why.empty())
      return problem;
  }
  return {};
}

} // namespace sluice::detail
