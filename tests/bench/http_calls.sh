#!/usr/bin/env bash
# Calls per second through a pipeline next to wrk, against the bundled Zoom emulator on
# loopback, in one run: zoom.get_meeting (the Zoom plugin on the engine's HTTP service) and
# http.request GET (the HTTP plugin) at concurrency 1 and 32, and wrk on the same two routes.
# With --callgrind, also the instructions each call costs the sluice process (valgrind).
# Reports; does not pass or fail on the figures.
# A run's calls per second leave out the process's start (plugins loaded, store opened): the
# time of a one-call run, the quickest of three, is taken off the time of the CALLS-call run.
#   tests/bench/http_calls.sh [--callgrind] [BUILD_DIR] [CALLS]   (default build/release, 20000)
set -euo pipefail
cd "$(dirname "$0")/../.."
callgrind=false
if [ "${1:-}" = --callgrind ]; then
  callgrind=true
  shift
fi
build=${1:-build/release}
calls=${2:-20000}
sluice=$build/engine/cli/sluice
emulator=$build/tests/zoom_emulator/sluice-zoom-emulator
command -v wrk >/dev/null || { echo "http_calls: needs wrk (apt-get install wrk)" >&2; exit 2; }
if $callgrind && ! command -v valgrind >/dev/null; then
  echo "http_calls: --callgrind needs valgrind (apt-get install valgrind)" >&2
  exit 2
fi

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
"$emulator" --port 0 --no-rate-limits >"$work/emulator.out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do [ -s "$work/emulator.out" ] && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$work/emulator.out")

export SLUICE_CREDENTIALS="$work/credentials.db"
export SLUICE_PLUGIN_PATH="$build/engine/sluice/plugins"
SLUICE_ZOOM_CLIENT_SECRET=emulator-secret "$sluice" connect zoom --name bench \
  --client-id emulator-client --account-id emulator-account \
  --api-base-url "$url/v2" --oauth-base-url "$url" >/dev/null

cat >"$work/create.yaml" <<'YAML'
version: 1
nodes:
  when: { type: core.time, with: { offset: 1d } }
  create: { type: zoom.create_meeting, with: { topic: bench, type: 2, start_time: "{{ when.utc }}", duration: 30 } }
outputs:
  id: "{{ create.id }}"
YAML
id=$("$sluice" run -q "$work/create.yaml" | sed -n 's/^id: //p')

now() { date +%s.%N; }
items() { seq -s, 1 "$1"; }

# pipeline KIND CONCURRENCY: a for_each of one call per input element; prints the file name.
pipeline() {
  local call
  case $1 in
    zoom) call="type: zoom.get_meeting
    with: { meeting_id: $id }" ;;
    http) call="type: http.request
    with: { url: \"$url/_emulator/counters\" }" ;;
  esac
  cat >"$work/$1_$2.yaml" <<YAML
version: 1
inputs:
  items: { type: array }
nodes:
  call:
    for_each: "{{ inputs.items }}"
    concurrency: $2
    $call
YAML
  echo "$work/$1_$2.yaml"
}

printf '%-46s %12s %10s %10s\n' "client (loopback, keep-alive)" concurrency "calls/s" "us/call"
row() { printf '%-46s %12s %10s %10s\n' "$1" "$2" "$3" "$(echo "$3" | awk '{ printf "%.1f", 1e6 / $1 }')"; }
# Seconds one `sluice run` of FILE with N calls takes.
seconds() {
  local start end
  start=$(now)
  "$sluice" run -q "$1" --input "items=[$(items "$2")]" >/dev/null
  end=$(now)
  echo "$start $end" | awk '{ printf "%.6f", $2 - $1 }'
}
for kind in zoom http; do
  for c in 1 32; do
    file=$(pipeline "$kind" "$c")
    "$sluice" run -q "$file" --input "items=[1,2,3]" >/dev/null # warm up
    one=$( (seconds "$file" 1; seconds "$file" 1; seconds "$file" 1) | sort -n | head -1)
    all=$(seconds "$file" "$calls")
    label="sluice run: $calls x zoom.get_meeting"
    [ "$kind" = http ] && label="sluice run: $calls x http.request GET"
    row "$label" "$c" "$(echo "$calls $one $all" | awk '{ printf "%.0f", ($1 - 1) / ($3 - $2) }')"
  done
done

# wrk with a token of its own (server-to-server: this revokes sluice's, which is done).
token=$(curl -s -u emulator-client:emulator-secret -d grant_type=account_credentials \
  -d account_id=emulator-account "$url/oauth/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
for c in 1 32; do
  r=$(wrk -t1 -c"$c" -d5s -H "Authorization: Bearer $token" "$url/v2/meetings/$id" |
      sed -n 's/^Requests\/sec: *//p')
  row "wrk -t1 -d5s GET /v2/meetings/{id}" "$c" "$(printf '%.0f' "$r")"
done
for c in 1 32; do
  r=$(wrk -t1 -c"$c" -d5s "$url/_emulator/counters" | sed -n 's/^Requests\/sec: *//p')
  row "wrk -t1 -d5s GET /_emulator/counters" "$c" "$(printf '%.0f' "$r")"
done

if $callgrind; then
  # Instructions of the whole sluice process for 200 and 1,200 calls at concurrency 1: the
  # difference over 1,000 is what one call costs, start-up and plugin loading left out.
  SLUICE_ZOOM_CLIENT_SECRET=emulator-secret "$sluice" connect zoom --name bench --reconnect \
    --account-id emulator-account >/dev/null
  instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$sluice" run -q "$1" \
      --input "items=[$(items "$2")]" >/dev/null 2>"$work/cg.err"
    sed -n 's/^summary: *//p' "$work/cg.out"
  }
  for kind in zoom http; do
    file=$(pipeline "$kind" 1)
    small=$(instructions "$file" 200)
    large=$(instructions "$file" 1200)
    printf '%-46s %12s %10s\n' "callgrind: instructions per $kind call" 1 \
      "$(echo "$small $large" | awk '{ printf "%.0f", ($2 - $1) / 1000 }')"
  done
fi
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg); build: $build)"
