#!/usr/bin/env bash
# Contract test of the public REST API: schemathesis generates valid and invalid requests for
# every operation in the OpenAPI document the portal serves, and checks that each answer is one
# the document declares (and never a 500). Run from anywhere; `make test-api-contract` runs it.
#
# Needs target/release/cdn-portal (make build) and schemathesis on PATH or in SCHEMATHESIS.
set -euo pipefail

cd "$(dirname "$0")/../.."
port=${API_CONTRACT_PORT:-3150}
base="http://127.0.0.1:$port"
schemathesis=${SCHEMATHESIS:-schemathesis}
reports=target/api-contract

[ -x target/release/cdn-portal ] || { echo "target/release/cdn-portal is missing: make build" >&2; exit 1; }
# Another server on the port would be tested instead of this build.
if curl -s -o /dev/null "$base/"; then
  echo "port $port is in use; set API_CONTRACT_PORT" >&2
  exit 1
fi

# A fresh database each run, so the demo account's resources are the only ones.
work=$(mktemp -d)
portal=
# Stops the portal however the script ends; `|| true` because a failing command in a trap would
# replace schemathesis' exit status.
trap 'kill "$portal" 2>/dev/null || true; wait; rm -rf "$work"' EXIT
# Only this run's reports and log.
rm -rf "$reports" && mkdir -p "$reports"
DATABASE_URL="sqlite://$work/portal.db" SEED_DEMO=true LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  target/release/cdn-portal >"$reports/portal.log" 2>&1 &
portal=$!

# Migrating and seeding take a moment; give up after 30 seconds.
for attempt in $(seq 150); do
  curl -sf -o /dev/null "$base/cdn/openapi.json" && break
  kill -0 $portal 2>/dev/null && [ "$attempt" -lt 150 ] ||
    { echo "the portal did not start; see $reports/portal.log" >&2; exit 1; }
  sleep 0.2
done

# The portal refuses state-changing requests from other origins, so both calls send its own.
post() {
  curl -sSf -b "$work/cookies" -c "$work/cookies" -H "Origin: $base" -H 'Accept: application/json' \
    -H 'Content-Type: application/x-www-form-urlencoded' "$base$1" --data "$2"
}
post /api/log_in 'email=demo%40example.com&password=demo-password' >/dev/null
secret=$(post /api/create_api_token 'name=schemathesis&expires_in_days=' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')

# Every check and every phase; the time budget and the rest are in schemathesis.toml.
"$schemathesis" --config-file end2end/api-contract/schemathesis.toml run "$base/cdn/openapi.json" \
  -H "Authorization: APIKey $secret" --checks all --phases examples,coverage,fuzzing,stateful \
  --report junit,ndjson --report-dir "$reports" "$@"
