#pragma once
// SQLCipher, loaded privately at run time and called through a table of function pointers.
//
// Why not link it: SQLCipher exports the same `sqlite3_*` symbols as SQLite, so an embedder
// that also links SQLite (Debian: 3.40; SQLCipher 3.4.1 is SQLite 3.15.2) would get one
// library answering for both. Debian's libsqlcipher.a is not position-independent, so it
// cannot be hidden inside libsluice.so either. Loading libsqlcipher.so.0 with RTLD_LOCAL
// keeps its symbols out of the global namespace, and RTLD_DEEPBIND makes its own internal
// calls bind to itself even when the process already has a plain SQLite loaded. libsluice
// therefore neither imports nor exports any sqlite3_* symbol.

// Only types and constants are used from this header; the functions are never referenced
// directly (decltype is unevaluated), so no sqlite3_* symbol is imported.
#include <sqlcipher/sqlite3.h>

namespace sluice::credentials {

/// The SQLCipher entry points the store uses.
struct SqlCipherApi {
  decltype(&::sqlite3_libversion) libversion;
  decltype(&::sqlite3_open_v2) open_v2;
  decltype(&::sqlite3_close_v2) close_v2;
  decltype(&::sqlite3_busy_timeout) busy_timeout;
  decltype(&::sqlite3_exec) exec;
  decltype(&::sqlite3_errmsg) errmsg;
  decltype(&::sqlite3_errstr) errstr;
  decltype(&::sqlite3_extended_result_codes) extended_result_codes;
  decltype(&::sqlite3_prepare_v2) prepare_v2;
  decltype(&::sqlite3_step) step;
  decltype(&::sqlite3_reset) reset;
  decltype(&::sqlite3_finalize) finalize;
  decltype(&::sqlite3_clear_bindings) clear_bindings;
  decltype(&::sqlite3_sql) sql;
  decltype(&::sqlite3_bind_text) bind_text;
  decltype(&::sqlite3_bind_blob) bind_blob;
  decltype(&::sqlite3_bind_int64) bind_int64;
  decltype(&::sqlite3_bind_null) bind_null;
  decltype(&::sqlite3_column_type) column_type;
  decltype(&::sqlite3_column_text) column_text;
  decltype(&::sqlite3_column_bytes) column_bytes;
  decltype(&::sqlite3_column_int64) column_int64;
  decltype(&::sqlite3_changes) changes;
  decltype(&::sqlite3_get_autocommit) get_autocommit;
};

/// The loaded library, loaded on first use and kept for the life of the process (the table's
/// pointers must stay valid). Throws `CredentialError{unavailable}` saying which package to
/// install when libsqlcipher.so.0 or one of its functions is missing.
const SqlCipherApi& sqlcipher();

} // namespace sluice::credentials
