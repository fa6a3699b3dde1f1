#!/usr/bin/env bash
# Contract test of the public REST API: schemathesis generates valid and invalid requests for
# every operation in the OpenAPI document the portal serves, and checks that each answer is one
# the document declares (and never a 500). Run from anywhere; `make test-api-contract` runs it.
#
# Needs target/release/cdn-portal (make build) and schemathesis on PATH or in SCHEMATHESIS.
set -euo pipefail

cd "$(dirname "$0")/../.."
port=${API_CONTRACT_PORT:-3150}
schemathesis=${SCHEMATHESIS:-schemathesis}
reports=target/api-contract

source end2end/lib/portal.sh
# Only this run's reports and log.
rm -rf "$reports" && mkdir -p "$reports"
# A fresh database each run, so the demo account's resources are the only ones.
# schemathesis sends thousands of requests a minute with one token, and many without one: the
# limits on both would answer 429 for most (they have their own tests in tests/api/limits.rs).
start_portal "$port" "$reports" API_REQUESTS_PER_SECOND=100000 API_BURST=100000 \
  API_TOKEN_FAILURES_PER_CLIENT_ADDRESS=100000
secret=$(api_token schemathesis)

# Every check and every phase; the time budget and the rest are in schemathesis.toml.
"$schemathesis" --config-file end2end/api-contract/schemathesis.toml run "$base/cdn/openapi.json" \
  -H "Authorization: APIKey $secret" --checks all --phases examples,coverage,fuzzing,stateful \
  --report junit,ndjson --report-dir "$reports" "$@"
