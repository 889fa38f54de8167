#!/usr/bin/env bash
# Instructions per accepted webhook run of `sluice serve`, all threads together, under
# callgrind: the server starts uninstrumented, wrk warms it up, instrumentation is turned on
# for a second wrk run (webhook -> 202, the same trivial pipeline as serve_load.sh), and
# turned off once the runs have ended. Prints the total divided by the requests wrk
# completed; `callgrind_annotate OUT` says where they went. Counts, not times: it can run
# beside a build. Valgrind slows the server about fifty-fold, so the run writer's groups are
# smaller than at full speed; read shares as indicative.
#   tests/bench/serve_callgrind.sh [BUILD_DIR] [OUT] [CONNECTIONS] [SECONDS]
#   (defaults: build/release, callgrind.serve.out, 64, 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
out=$(realpath -m "${2:-callgrind.serve.out}")
connections=${3:-64}
seconds=${4:-10}
sluice=$build/engine/cli/sluice
for tool in wrk valgrind callgrind_control callgrind_annotate; do
  command -v "$tool" >/dev/null || { echo "serve_callgrind: needs $tool" >&2; exit 2; }
done
[ -x "$sluice" ] || { echo "serve_callgrind: no $sluice; build it first" >&2; exit 2; }

. tests/bench/serve_bench_common.sh
"$sluice" tokens create bench >/dev/null 2>&1
start_server 100000 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out"

wrk -t2 -c"$connections" -d3s -s "$work/webhook.lua" "$url/hooks/bench" >/dev/null
sleep 1
callgrind_control -i on "$pid" >/dev/null 2>&1
runs=$(wrk -t2 -c"$connections" -d"${seconds}s" -s "$work/webhook.lua" "$url/hooks/bench" |
  awk '/requests in/ { print $1 }')
sleep 3 # the accepted runs end and their endings are written
callgrind_control -i off "$pid" >/dev/null 2>&1
kill -INT "$pid"
wait "$pid" || true
pid=
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "serve_callgrind: $runs runs accepted at $connections connections, $total instructions, $((total / runs)) a run; profile in $out"
