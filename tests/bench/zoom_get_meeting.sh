#!/usr/bin/env bash
# get_meeting calls per second: a Sluice pipeline (zoom.get_meeting under for_each, through
# the plugin's keep-alive pool) next to wrk on the same endpoint, against the bundled Zoom
# emulator on loopback, in one run. Reports; does not pass or fail on the figures.
#   tests/bench/zoom_get_meeting.sh [BUILD_DIR] [CALLS]     (default build/release, 5000)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
calls=${2:-5000}
sluice=$build/engine/cli/sluice
emulator=$build/tests/zoom_emulator/sluice-zoom-emulator
command -v wrk >/dev/null || { echo "zoom_get_meeting: needs wrk (apt-get install wrk)" >&2; exit 2; }

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
items=$(seq -s, 1 "$calls")

now() { date +%s.%N; }
rate() { echo "$1 $2 $3" | awk '{ printf "%.0f", $1 / ($3 - $2) }'; }

printf '%-44s %12s %10s\n' "client (loopback, keep-alive)" concurrency "calls/s"
for c in 1 32; do
  cat >"$work/get_$c.yaml" <<YAML
version: 1
inputs:
  items: { type: array }
nodes:
  get:
    type: zoom.get_meeting
    for_each: "{{ inputs.items }}"
    concurrency: $c
    with: { meeting_id: $id }
YAML
  "$sluice" run -q "$work/get_$c.yaml" --input "items=[1,2,3]" >/dev/null # warm up
  start=$(now)
  "$sluice" run -q "$work/get_$c.yaml" --input "items=[$items]" >/dev/null
  end=$(now)
  printf '%-44s %12s %10s\n' "sluice run: $calls x zoom.get_meeting" "$c" "$(rate "$calls" "$start" "$end")"
done

# wrk with a token of its own (server-to-server: this revokes sluice's, which is done).
token=$(curl -s -u emulator-client:emulator-secret -d grant_type=account_credentials \
  -d account_id=emulator-account "$url/oauth/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
for c in 1 32; do
  r=$(wrk -t1 -c"$c" -d5s -H "Authorization: Bearer $token" "$url/v2/meetings/$id" |
      sed -n 's/^Requests\/sec: *//p')
  printf '%-44s %12s %10.0f\n' "wrk -t1 -d5s GET /v2/meetings/{id}" "$c" "$r"
done
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg); build: $build)"
