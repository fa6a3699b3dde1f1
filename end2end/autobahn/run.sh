#!/usr/bin/env bash
# The WebSocket relay under Autobahn|Testsuite, the protocol's reference test suite: its fuzzing
# client runs each case against Autobahn's own test server twice, directly and through the edge,
# and every case must pass through the edge exactly as it passes directly. Autobahn's server is a
# strict origin: it checks the port in `Host` against its own, so this also proves that the edge
# tells origins the right authority. Run from anywhere; `make test-autobahn` runs it.
#
# Needs target/release/cdn-edge (make build), python3, and wstest in WSTEST (Python 2.7).
set -euo pipefail

cd "$(dirname "$0")/../.."
edge_port=${AUTOBAHN_PORT:-3160}
origin_port=$((edge_port + 1))
admin_port=$((edge_port + 2))
wstest=${WSTEST:-wstest}
reports=target/autobahn

[ -x target/release/cdn-edge ] || { echo "target/release/cdn-edge is missing: make build" >&2; exit 1; }
for port in "$edge_port" "$origin_port" "$admin_port"; do
  # Another server on a port would be tested instead of this build.
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use; set AUTOBAHN_PORT (it uses that port and the next two)" >&2
    exit 1
  fi
done

rm -rf "$reports" && mkdir -p "$reports"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait' EXIT

# The origin: Autobahn's testee server, which takes every option the suite tests, compression
# (permessage-deflate) included.
"$wstest" --mode testeeserver --wsuri "ws://127.0.0.1:$origin_port" >"$reports/origin.log" 2>&1 &
pids+=($!)

# The edge serves one resource from its saved configuration (the format of edge/src/routes.rs's
# ConfigUpdate) and follows no portal (a closed port). Its domain is `localhost` because the
# fuzzing client connects to the host its URL names and sends it as `Host`.
cat >"$reports/edge-state.json" <<EOF
{"version": 1, "full": true, "resources": [{"id": 1, "domain": "localhost", "origin": "127.0.0.1:$origin_port", "websockets": true}], "removed": []}
EOF
EDGE_LISTEN="127.0.0.1:$edge_port" EDGE_TLS_LISTEN=off EDGE_ADMIN_LISTEN="127.0.0.1:$admin_port" EDGE_PORTAL_URL=http://127.0.0.1:9 \
  EDGE_FEED_TOKEN=autobahn-run-not-a-secret EDGE_STATE_FILE="$reports/edge-state.json" RUST_LOG=warn \
  target/release/cdn-edge >"$reports/edge.log" 2>&1 &
pids+=($!)

for attempt in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$origin_port") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$edge_port") 2>/dev/null && break
  [ "$attempt" -lt 100 ] || { echo "the origin or the edge did not start; see $reports/*.log" >&2; exit 1; }
  sleep 0.2
done

# Every case but the slowest, whose time goes into the suite's Python, not into the relay: the
# performance cases (9.*) past 1 MiB messages or 100 KiB batches, and compression (12.*, 13.*)
# past the two smallest message sizes of each group (all 216 compression cases take over half an
# hour on two cores). What runs takes about two minutes.
# A pattern with `*` is a regular expression matched from the start (Autobahn's caseset.py).
cat >"$reports/spec.json" <<EOF
{
  "outdir": "$PWD/$reports",
  "servers": [
    {"agent": "direct", "url": "ws://127.0.0.1:$origin_port"},
    {"agent": "edge", "url": "ws://localhost:$edge_port"}
  ],
  "cases": ["*"],
  "exclude-cases": [
    "9.1.4", "9.1.5", "9.1.6", "9.2.4", "9.2.5", "9.2.6", "9.3.*", "9.4.*", "9.7.5", "9.7.6", "9.8.5", "9.8.6",
    "12.*.[3-9]", "12.*.1[0-9]", "13.*.[3-9]", "13.*.1[0-9]"
  ],
  "exclude-agent-cases": {}
}
EOF
"$wstest" --mode fuzzingclient --spec "$reports/spec.json" >"$reports/fuzzingclient.log" 2>&1 ||
  { tail -n 20 "$reports/fuzzingclient.log" >&2; exit 1; }

metrics=$(exec 3<>"/dev/tcp/127.0.0.1/$admin_port" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3)
python3 end2end/autobahn/check.py "$reports/index.json" <<<"$metrics"
