// Loads libsqlcipher.so.0 privately; see sqlcipher_library.hpp for why.

#include "sqlcipher_library.hpp"

#include <sluice/credentials.hpp>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include <string>

namespace sluice::credentials {

namespace {

constexpr const char* library_name = "libsqlcipher.so.0";

template <typename Function>
void resolve(const boost::dll::shared_library& library, const char* symbol, Function& target) {
  if (!library.has(symbol))
    throw CredentialError(CredentialError::Kind::unavailable,
                          std::string(library_name) + " has no " + symbol +
                              "; install SQLCipher 3.4 or newer (Debian: libsqlcipher0)");
  target = &library.get<std::remove_pointer_t<Function>>(symbol);
}

// RTLD_DEEPBIND makes SQLCipher's calls to its own sqlite3_* functions bind inside it even
// when a plain SQLite is already loaded. The sanitizer runtimes refuse DEEPBIND (they
// interpose malloc & co.), so sanitizer builds load without it; the side-by-side test is
// skipped there.
boost::dll::load_mode::type load_mode() {
  namespace dll = boost::dll;
  auto mode =
      dll::load_mode::rtld_now | dll::load_mode::rtld_local | dll::load_mode::search_system_folders;
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  mode = mode | dll::load_mode::rtld_deepbind;
#endif
  return mode;
}

SqlCipherApi load() {
  namespace dll = boost::dll;
  boost::dll::fs::error_code error;
  // Static: the library stays loaded until exit, so the function pointers never dangle.
  static dll::shared_library library;
  library.load(library_name, load_mode(), error);
  if (error)
    throw CredentialError(CredentialError::Kind::unavailable,
                          std::string("cannot load ") + library_name + " (" + error.message() +
                              "); the credential store needs SQLCipher: install it "
                              "(Debian: apt-get install libsqlcipher0)");
  SqlCipherApi api{};
  resolve(library, "sqlite3_libversion", api.libversion);
  resolve(library, "sqlite3_open_v2", api.open_v2);
  resolve(library, "sqlite3_close_v2", api.close_v2);
  resolve(library, "sqlite3_busy_timeout", api.busy_timeout);
  resolve(library, "sqlite3_exec", api.exec);
  resolve(library, "sqlite3_errmsg", api.errmsg);
  resolve(library, "sqlite3_errstr", api.errstr);
  resolve(library, "sqlite3_extended_result_codes", api.extended_result_codes);
  resolve(library, "sqlite3_prepare_v2", api.prepare_v2);
  resolve(library, "sqlite3_step", api.step);
  resolve(library, "sqlite3_reset", api.reset);
  resolve(library, "sqlite3_finalize", api.finalize);
  resolve(library, "sqlite3_clear_bindings", api.clear_bindings);
  resolve(library, "sqlite3_sql", api.sql);
  resolve(library, "sqlite3_bind_text", api.bind_text);
  resolve(library, "sqlite3_bind_blob", api.bind_blob);
  resolve(library, "sqlite3_bind_int64", api.bind_int64);
  resolve(library, "sqlite3_bind_null", api.bind_null);
  resolve(library, "sqlite3_column_type", api.column_type);
  resolve(library, "sqlite3_column_text", api.column_text);
  resolve(library, "sqlite3_column_bytes", api.column_bytes);
  resolve(library, "sqlite3_column_int64", api.column_int64);
  resolve(library, "sqlite3_changes", api.changes);
  resolve(library, "sqlite3_get_autocommit", api.get_autocommit);
  return api;
}

} // namespace

const SqlCipherApi& sqlcipher() {
  // A failed load throws out of the initialiser, so the next call tries again.
  static const SqlCipherApi api = load();
  return api;
}

} // namespace sluice::credentials
