#!/usr/bin/env bash
# Records again the cassettes that pipelines/cassettes/*.test.yaml replay, from the bundled Zoom
# emulator (tests/zoom_emulator): run it after changing a Zoom pipeline or the Zoom plugin's
# version, when `sluice test` says a cassette is stale. It connects a throw-away credential
# store, runs each Zoom pipeline for real with --record, and rewrites the cassettes and the
# test files recorded with them. Nothing of it needs a Zoom account.
#   tests/record_pipeline_cassettes.sh build/dev
set -euo pipefail
build=$(cd "${1:?usage: tests/record_pipeline_cassettes.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
sluice="$build/engine/cli/sluice"
work=$(mktemp -d)
emulator_pid=
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$build/tests/zoom_emulator/sluice-zoom-emulator" --port 0 --auto-approve --plan business \
  >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/emulator.log" && break
  sleep 0.1
done
url=$(grep -o 'http://[^ ]*' "$work/emulator.log" | head -1)
[ -n "$url" ] || { cat "$work/emulator.log" >&2; exit 1; }

export SLUICE_CREDENTIALS="$work/credentials.db"
SLUICE_CREDENTIALS_KEY=$(openssl rand -hex 32)
export SLUICE_CREDENTIALS_KEY SLUICE_ZOOM_CLIENT_SECRET=emulator-secret
"$sluice" connect zoom --name demo --client-id emulator-client --api-base-url "$url/v2" \
  --oauth-base-url "$url" --browser-command "curl -s -L -o /dev/null" >/dev/null

cd "$root/pipelines"
mkdir -p cassettes
# The test files are recorded with their cassettes: rewrite them too.
rm -f cassettes/*.test.yaml cassettes/*.cassette.json
"$sluice" run zoom_meeting_lifecycle.yaml --record cassettes --input topic=Standup -q >/dev/null
# Three "Bulk demo" meetings, which the cleanup then finds and deletes.
"$sluice" run zoom_bulk_schedule.yaml --record cassettes -q >/dev/null
"$sluice" run zoom_cleanup.yaml --record cassettes --input "prefix=Bulk demo" -q >/dev/null
"$sluice" run zoom_weekly_report.yaml --record cassettes -q >/dev/null
"$sluice" test cassettes
