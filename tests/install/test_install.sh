#!/usr/bin/env bash
# Installs the build to a temporary prefix, builds the embedding example out of tree against
# it with find_package(Sluice), runs it, and runs the installed CLI.
# Usage: test_install.sh BUILD_DIR SOURCE_DIR [CXX_FLAGS]
set -euo pipefail
build=$1 src=$2 flags=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" || { cat "$work/install.log"; exit 1; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$src/engine/examples/embed" -B "$work/build" -G Ninja "${launcher[@]}" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

out=$("$work/build/embed" Ada)
if [ "$out" != "HELLO, ADA" ]; then
  echo "embed example printed '$out', expected 'HELLO, ADA'" >&2
  exit 1
fi
out=$("$work/prefix/bin/sluice" run "$src/pipelines/hello.yaml" --quiet --input who=Installed)
if [ "$out" != "message: Hello, Installed! (after both waits)" ]; then
  echo "installed sluice printed '$out'" >&2
  exit 1
fi
# The SDK's example plugin, built out of tree with sluice_add_plugin from the package.
cmake -S "$src/sdk/examples/hello_plugin" -B "$work/plugin" -G Ninja "${launcher[@]}" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_MODULE_LINKER_FLAGS="$flags" >"$work/plugin-configure.log" 2>&1 || { cat "$work/plugin-configure.log"; exit 1; }
cmake --build "$work/plugin" >"$work/plugin-build.log" 2>&1 || { cat "$work/plugin-build.log"; exit 1; }
out=$("$work/prefix/bin/sluice" run "$src/sdk/examples/hello_plugin/hello.yaml" --quiet --json \
  --plugin-dir "$work/plugin" --input 'names=["Installed","World"]')
expected='"greetings": [
      {
        "greeting": "Hello, Installed!"
      },
      {
        "greeting": "Hello, World!"
      }
    ]'
if [[ "$out" != *"$expected"* ]]; then
  echo "example plugin pipeline printed: $out" >&2
  exit 1
fi
# The SDK's HTTP example plugin: HTTP through Context::http() with nothing but the package,
# against the real emulator binary on loopback (its admin route answers JSON without a token).
cmake -S "$src/sdk/examples/http_plugin" -B "$work/web" -G Ninja "${launcher[@]}" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_MODULE_LINKER_FLAGS="$flags" >"$work/web-configure.log" 2>&1 || { cat "$work/web-configure.log"; exit 1; }
cmake --build "$work/web" >"$work/web-build.log" 2>&1 || { cat "$work/web-build.log"; exit 1; }
"$build/tests/zoom_emulator/sluice-zoom-emulator" --port 0 >"$work/emulator.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  url=$(sed -n 's/^listening on //p' "$work/emulator.log")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the emulator did not start:" >&2; cat "$work/emulator.log" >&2; exit 1; }
out=$("$work/prefix/bin/sluice" run "$src/sdk/examples/http_plugin/fetch.yaml" --quiet --json \
  --plugin-dir "$work/web" --input "url=$url/_emulator/counters")
if [[ "$out" != *'"status": 200'* || "$out" != *'"tokens_issued": 0'* ]]; then
  echo "HTTP example plugin pipeline printed: $out" >&2
  exit 1
fi
echo "install test: ok"
