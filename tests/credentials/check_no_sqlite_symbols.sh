#!/bin/sh
# libsluice.so must neither export nor import any sqlite3_* symbol: SQLCipher is dlopen()ed
# privately, so an embedder's own SQLite can never be bound in its place (or vice versa).
set -eu
library=$1
symbols=$(nm -D "$library")
# Guard against a vacuous pass: the dynamic symbol table must be readable and hold our API.
echo "$symbols" | grep -q 'open_credential_store' || {
  echo "FAIL: cannot read the dynamic symbols of $library" >&2
  exit 1
}
if echo "$symbols" | grep -E '[[:space:]]sqlite3_'; then
  echo "FAIL: $library has the sqlite3_* symbols above" >&2
  exit 1
fi
if ldd "$library" | grep -E 'libsqlite3|libsqlcipher'; then
  echo "FAIL: $library links SQLite or SQLCipher at load time" >&2
  exit 1
fi
echo "ok: no sqlite3_* symbols in $library"
