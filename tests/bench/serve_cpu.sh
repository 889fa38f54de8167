#!/usr/bin/env bash
# The server's CPU time per accepted webhook run (user and system, from /proc over one wrk run
# after a warm-up), and optionally a profiler attached for that run: the figure to compare two
# builds by when the machine's speed drifts between runs (alternate them, each a few times).
#   [CONNS=64] [PERF="perf stat -e context-switches"] tests/bench/serve_cpu.sh [BUILD_DIR] [SECONDS]
#   (defaults: build/release, 5). A library to compare: LD_LIBRARY_PATH=DIR_WITH_libsluice.so.0.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
seconds=${2:-5}
connections=${CONNS:-64}
sluice=$build/engine/cli/sluice
command -v wrk >/dev/null || { echo "serve_cpu: needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$sluice" ] || { echo "serve_cpu: no $sluice; build it first" >&2; exit 2; }

. tests/bench/serve_bench_common.sh
start_server 100000
threads=2
[ "$connections" -gt 1 ] || threads=1
wrk -t"$threads" -c"$connections" -d2s -s "$work/webhook.lua" "$url/hooks/bench" >/dev/null

# utime and stime of the whole process, in clock ticks (fields 14 and 15 of /proc/PID/stat).
ticks() { awk '{ print $14, $15 }' "/proc/$pid/stat"; }
read -r user0 system0 < <(ticks)
profiler=
if [ -n "${PERF:-}" ]; then
  $PERF -p "$pid" -- sleep "$seconds" >"$work/perf.out" 2>&1 &
  profiler=$!
fi
out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" -s "$work/webhook.lua" "$url/hooks/bench")
[ -z "$profiler" ] || wait "$profiler" || true
read -r user1 system1 < <(ticks)
runs=$(echo "$out" | awk '/requests in/ { print $1 }')
hz=$(getconf CLK_TCK)
awk -v r="$runs" -v s="$seconds" -v u=$((user1 - user0)) -v k=$((system1 - system0)) -v hz="$hz" \
  -v c="$connections" 'BEGIN {
    printf "serve_cpu: %d connections, %.0f runs/s, server CPU per run %.0f us (user %.0f, system %.0f)\n",
      c, r / s, (u + k) * 1e6 / hz / r, u * 1e6 / hz / r, k * 1e6 / hz / r }'
[ -z "$profiler" ] || cat "$work/perf.out"
