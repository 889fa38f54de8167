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
echo "install test: ok"
