#!/usr/bin/env bash
# `sluice serve` under load, next to wrk against a static route of the same server, in one run:
# GET /healthz (static: no run, no store) with wrk; then webhook deliveries that each start a
# trivial pipeline and are answered 202 (the run accepted: in the run store's accept log before
# the answer; with SERVE_ARGS=--sync-accepts, written and synced into the store), and API calls
# with ?wait= that are answered when the run has ended; each at 1 and 64 concurrent
# connections, with latency percentiles from wrk --latency.
# Reports; does not pass or fail on the figures.
#   [SERVE_ARGS=...] tests/bench/serve_load.sh [BUILD_DIR] [SECONDS]   (default build/release, 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
seconds=${2:-5}
sluice=$build/engine/cli/sluice
command -v wrk >/dev/null || { echo "serve_load: needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$sluice" ] || { echo "serve_load: no $sluice; build it first" >&2; exit 2; }

. tests/bench/serve_bench_common.sh
token=$("$sluice" tokens create bench 2>/dev/null | tail -n 1)
start_server 1000

cat >"$work/wait.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"inputs":{"who":"wrk"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA

# measure NAME CONNECTIONS PATH [SCRIPT]: one wrk run; prints a row.
measure() {
  local name=$1 connections=$2 path=$3 script=${4:-} threads=1 out
  [ "$connections" -gt 1 ] && threads=2
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency ${script:+-s "$script"} \
    "$url$path")
  local rate p50 p99 bad
  rate=$(echo "$out" | awk '/^Requests\/sec/ { printf "%.0f", $2 }')
  p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
  p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
  bad=$(echo "$out" | awk '/Non-2xx/ { print $5 }')
  printf '%-28s %5s %10s %10s %10s %8s\n' "$name" "$connections" "$rate" "$p50" "$p99" "${bad:-0}"
  echo "$rate" >"$work/last_rate"
}

echo "sluice serve${SERVE_ARGS:+ $SERVE_ARGS} load, ${seconds}s per row, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %5s %10s %10s %10s %8s\n' route conns req/s p50 p99 non-2xx
for c in 1 64; do
  measure "GET /healthz (static)" "$c" /healthz
  static=$(cat "$work/last_rate")
  measure "webhook -> 202" "$c" /hooks/bench "$work/webhook.lua"
  webhook=$(cat "$work/last_rate")
  measure "POST runs?wait=10 -> 200" "$c" "/v1/pipelines/bench/runs?wait=10" "$work/wait.lua"
  waited=$(cat "$work/last_rate")
  awk -v s="$static" -v w="$webhook" -v r="$waited" -v c="$c" 'BEGIN {
    printf "  at %d: accepted runs/s vs static route %.2fx; ?wait= round trips vs static %.2fx\n",
      c, w / s, r / s }'
done
runs=$("$sluice" runs list --limit 10000 --status succeeded 2>/dev/null | wc -l)
echo "runs succeeded (up to 10000 listed): $runs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
