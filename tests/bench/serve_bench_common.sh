# Sourced by serve_load.sh and serve_callgrind.sh, after they set $sluice: a scratch folder
# removed on exit (with the server, if one runs), the stores in it, the trivial `bench`
# pipeline with an unauthenticated webhook, the wrk script that delivers to it
# ($work/webhook.lua), and start_server.

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

# start_server MAX_REQUESTS_PER_CLIENT [PREFIX...]: starts `sluice serve` on the pipeline
# (under PREFIX, e.g. valgrind and its options) on a free port, with the options in
# $SERVE_ARGS if set (e.g. --sync-accepts); sets pid and url.
start_server() {
  local max_requests=$1
  shift
  "$@" "$sluice" serve "$work/pipelines" --listen 127.0.0.1:0 --watch 0 --grace 5 \
    --max-requests-per-client "$max_requests" --max-queued-runs 1000000 ${SERVE_ARGS:-} \
    2>"$work/serve.log" &
  pid=$!
  for _ in $(seq 600); do grep -q "pipelines on http" "$work/serve.log" && break; sleep 0.1; done
  url=$(sed -n 's/.*pipelines on \(http:[^ ]*\).*/\1/p' "$work/serve.log")
  [ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }
}
