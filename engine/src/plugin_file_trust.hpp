#pragma once
// Whether only the caller or root could have written a plugin file. Loading a plugin runs its
// code as the caller, so a plugin file, or a directory holding it, that other users can write
// would let them run code as the caller (as root, when root runs sluice).

#include <filesystem>
#include <string>

namespace sluice::detail {

/// What makes a plugin file untrustworthy, and how to fix it.
struct TrustProblem {
  /// "the file is writable by group and others (mode 0666)"; empty when the file is safe.
  std::string why;
  /// "chmod go-w"; empty when `why` says the file or a directory could not be examined.
  std::string fix;
};

/// Whether a user other than the caller (effective uid) or root could have written or
/// replaced `file`: the file (after following symbolic links) or the directory holding it
/// (and the one holding the link, when `file` is one) is owned by another user, or is
/// writable by group or others. A directory may be, with the sticky bit (as /tmp is): nobody
/// else can then replace the caller's files in it.
TrustProblem untrusted_plugin_problem(const std::filesystem::path& file);

} // namespace sluice::detail
