#!/usr/bin/env bash
# Runs per second through a store many processes share, next to the embedded store, in one
# run. First the submission rate alone (N POSTs to `sluice serve`, 16 at a time, with nothing
# running them): the ceiling of this load generator. Then the embedded store: the same N
# submitted, the clock stopping when the last run has ended (the server runs them). Then
# PostgreSQL with 1, 2 and 4 `sluice worker` processes (x 4 runs each): N runs queued first
# with no worker, then the workers start and the clock runs until the queue is drained, which
# times claims, runs and endings without the load generator. Last the claim latency: with an
# idle worker, runs submitted one at a time, from accepted to started (the run's own
# timestamps). PostgreSQL 15 is started for the run in a temporary folder (as the
# postgres user when run as root: initdb refuses root).
# Reports; does not pass or fail on the figures.
#   tests/bench/queue_load.sh [BUILD_DIR] [RUNS]   (default build/release, 2000)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
runs=${2:-2000}
sluice=$build/engine/cli/sluice
[ -x "$sluice" ] || { echo "queue_load: no $sluice; build it first" >&2; exit 2; }
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pg_bin" ] || { echo "queue_load: needs postgresql-15" >&2; exit 2; }
command -v python3 >/dev/null || { echo "queue_load: needs python3" >&2; exit 2; }

work=$(mktemp -d)
chmod 755 "$work"
pids=()
pg_pid=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # The server runs under runuser as root: signal the postgres process itself.
  if [ -n "$pg_pid" ]; then
    pkill -INT -f "postgres -D $work/pg/data" 2>/dev/null || kill -INT "$pg_pid" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

as_postgres=()
if [ "$(id -u)" -eq 0 ]; then as_postgres=(runuser -u postgres --); fi
mkdir "$work/pg"
[ ${#as_postgres[@]} -gt 0 ] && chown postgres "$work/pg"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_postgres[@]}" "$pg_bin/initdb" -D "$work/pg/data" -U sluice --auth=trust -E UTF8 \
  --locale=C --no-instructions >"$work/initdb.log" 2>&1
"${as_postgres[@]}" "$pg_bin/postgres" -D "$work/pg/data" -p "$port" -k "$work/pg" \
  -c listen_addresses=127.0.0.1 -c max_connections=200 >"$work/pg.log" 2>&1 &
pg_pid=$!
for _ in $(seq 100); do "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break; sleep 0.1; done

mkdir "$work/pipelines"
cat >"$work/pipelines/bench.yaml" <<'YAML'
version: 1
name: bench
nodes:
  say: { type: core.template, with: { template: "hello" } }
outputs: { message: "{{ say.text }}" }
YAML

db=0
# start_serve [ARGS...]: a server on a free port; sets $url.
start_serve() {
  "$sluice" serve "$work/pipelines" --listen 127.0.0.1:0 --watch 0 --grace 5 \
    --max-requests-per-client 1000 --max-queued-runs 1000000 "$@" 2>"$work/serve.log" &
  pids+=($!)
  for _ in $(seq 200); do grep -q "pipelines on http" "$work/serve.log" && break; sleep 0.05; done
  url=$(sed -n 's/.*pipelines on \(http:[^ ]*\).*/\1/p' "$work/serve.log")
  [ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }
}
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
# open_runs: queued + running runs the server knows of.
open_runs() {
  local n=0 s
  for s in queued running; do
    n=$((n + $(curl -s -H "Authorization: Bearer $token" "$url/v1/runs?status=$s&limit=500" |
      python3 -c 'import json,sys; print(len(json.load(sys.stdin)["runs"]))')))
  done
  echo "$n"
}
# The body holds "{}", so xargs's placeholder is something else.
submit() {
  seq "$runs" | xargs -P 16 -I%% curl -s -o /dev/null -X POST \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    -d '{"inputs":{}}' "$url/v1/pipelines/bench/runs"
}
report() { # NAME START END
  printf '%-44s %8.0f runs/s  (%d runs, %.1f s)\n' "$1" \
    "$(echo "$runs / ($3 - $2)" | bc -l)" "$runs" "$(echo "$3 - $2" | bc -l)"
}
drained() {
  while [ "$(open_runs)" -gt 0 ]; do sleep 0.05; done
}
# succeeded_runs: how many runs succeeded (a row whose runs were refused would be meaningless).
succeeded_runs() {
  local n=0 page cursor=""
  while :; do
    page=$(curl -s -H "Authorization: Bearer $token" \
      "$url/v1/runs?status=succeeded&limit=500${cursor:+&cursor=$cursor}")
    n=$((n + $(echo "$page" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["runs"]))')))
    cursor=$(echo "$page" | python3 -c 'import json,sys; c=json.load(sys.stdin)["next_cursor"]; print(c or "")')
    [ -n "$cursor" ] || break
  done
  echo "$n"
}
check_all_succeeded() {
  local n
  n=$(succeeded_runs)
  [ "$n" -eq "$runs" ] || { echo "queue_load: only $n of $runs runs succeeded" >&2; exit 1; }
}
# commits: transactions committed in the current database so far (the statistics collector's
# count; reading it is one more).
commits() {
  "$pg_bin/psql" -X -A -t -h 127.0.0.1 -p "$port" -U sluice -d "bench$db" \
    -c "SELECT pg_stat_force_next_flush()" \
    -c "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()" | tail -n 1
}
# fresh_database: a new database, exported as SLUICE_STORE.
fresh_database() {
  db=$((db + 1))
  "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U sluice "bench$db"
  export SLUICE_STORE="postgresql://sluice@127.0.0.1:$port/bench$db"
}

echo "runs through the store, $runs runs per row, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
export SLUICE_RUNS="$work/runs.db" SLUICE_CREDENTIALS="$work/credentials.db"
fresh_database
token=$("$sluice" tokens create bench 2>/dev/null | tail -n 1)
start_serve --worker-runs 0
start=$(date +%s.%N)
submit
report "submission alone (the load generator)" "$start" "$(date +%s.%N)"
stop_all
unset SLUICE_STORE

token=$("$sluice" tokens create bench 2>/dev/null | tail -n 1)
start_serve
start=$(date +%s.%N)
submit
drained
report "embedded (SQLCipher), submitted and run" "$start" "$(date +%s.%N)"
check_all_succeeded
stop_all

for workers in 1 2 4; do
  fresh_database
  token=$("$sluice" tokens create bench 2>/dev/null | tail -n 1)
  start_serve --worker-runs 0
  submit
  commits_before=$(commits)
  start=$(date +%s.%N)
  for i in $(seq "$workers"); do
    "$sluice" worker "$work/pipelines" --concurrency 4 2>"$work/worker$i.log" &
    pids+=($!)
  done
  drained
  report "PostgreSQL, queue drained by $workers worker(s) x 4" "$start" "$(date +%s.%N)"
  check_all_succeeded
  commits_after=$(commits)
  echo "  database transactions per run: $(echo "($commits_after - $commits_before) / $runs" | bc -l | xargs printf '%.1f')"
  if [ "$workers" -eq 1 ]; then
    # Claim latency: one run at a time to an idle worker.
    ids=()
    for _ in $(seq 100); do
      ids+=("$(curl -s -X POST -H "Authorization: Bearer $token" -d '{"inputs":{}}' \
        "$url/v1/pipelines/bench/runs?wait=5" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
      sleep 0.02
    done
    for id in "${ids[@]}"; do curl -s -H "Authorization: Bearer $token" "$url/v1/runs/$id"; echo; done |
      python3 -c '
import json, sys
from datetime import datetime
def t(s): return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
lat = sorted((t(r["started_at"]) - t(r["accepted_at"])).total_seconds() * 1000
             for r in map(json.loads, filter(None, sys.stdin.read().splitlines())))
print("claim latency (accepted -> started), idle worker: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, n=%d"
      % (lat[len(lat)//2], lat[int(len(lat)*0.9)], lat[int(len(lat)*0.99)], len(lat)))'
  fi
  stop_all
  unset SLUICE_STORE
done
