#!/usr/bin/env bash
# Gcore's official Python SDK (PyPI `gcore`, pinned in requirements.txt) against a freshly built
# portal, with an edge that follows it and the echo origin behind the edge: scenario.py writes
# what a Gcore user writes, as Gcore documents it, and checks what the SDK's own models parse.
# Run from anywhere; `make test-gcore-sdk` runs it.
#
# Needs target/release/{cdn-portal,cdn-edge,echo-origin} (make build), and the SDK's Python in
# GCORE_SDK_PYTHON.
set -euo pipefail

cd "$(dirname "$0")/../.."
port=${GCORE_SDK_PORT:-3170}
edge_port=$((port + 1))
admin_port=$((port + 2))
origin_port=$((port + 3))
python=${GCORE_SDK_PYTHON:-python3}
reports=target/gcore-sdk
# Shared by this run's portal and edge only.
feed_token=gcore-sdk-run-not-a-secret

for program in cdn-edge echo-origin; do
  [ -x "target/release/$program" ] || { echo "target/release/$program is missing: make build" >&2; exit 1; }
done
source end2end/lib/portal.sh
rm -rf "$reports" && mkdir -p "$reports"
start_portal "$port" "$reports" EDGE_FEED_TOKEN="$feed_token"

ECHO_ORIGIN_LISTEN="127.0.0.1:$origin_port" target/release/echo-origin >"$reports/origin.log" 2>&1 &
# One edge, so that a resource's status reaches `active` once this edge serves it.
EDGE_LISTEN="127.0.0.1:$edge_port" EDGE_TLS_LISTEN=off EDGE_ADMIN_LISTEN="127.0.0.1:$admin_port" EDGE_PORTAL_URL="$base" \
  EDGE_FEED_TOKEN="$feed_token" EDGE_STATE_FILE="$work/edge-config.json" EDGE_ID=gcore-sdk-edge \
  target/release/cdn-edge >"$reports/edge.log" 2>&1 &

GCORE_API_KEY=$(api_token gcore-sdk) BURST_API_KEY=$(api_token gcore-sdk-burst) GCORE_BASE_URL="$base" \
  EDGE_URL="http://127.0.0.1:$edge_port" \
  ORIGIN_ADDRESS="127.0.0.1:$origin_port" "$python" end2end/gcore-sdk/scenario.py -v 2>&1 | tee "$reports/scenario.log"
