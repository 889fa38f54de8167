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

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export SLUICE_RUNS="$work/runs.db" SLUICE_CREDENTIALS="$work/credentials.db"
mkdir "$work/pipelines"
cat >"$work/pipelines/bench.yaml" <<'YAML'
version: 1
name: bench
inputs: { who: { type: string, default: bench } }
triggers:
  - webhook: { path: /hooks/bench, auth: none }
nodes:
  say: { type: core.template, with: { template: "hello {{ inputs.who }}" } }
outputs: { message: "{{ say.text }}" }
YAML
cat >"$work/webhook.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"who":"wrk"}'
wrk.headers["Content-Type"] = "application/json"
LUA
"$sluice" tokens create bench >/dev/null 2>&1
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
  "$sluice" serve "$work/pipelines" --listen 127.0.0.1:0 --watch 0 --grace 5 \
  --max-requests-per-client 100000 --max-queued-runs 1000000 2>"$work/serve.log" &
pid=$!
for _ in $(seq 600); do grep -q "pipelines on http" "$work/serve.log" && break; sleep 0.1; done
url=$(sed -n 's/.*pipelines on \(http:[^ ]*\).*/\1/p' "$work/serve.log")
[ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }

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
