# Sourced by the scripts that test the REST API against a release build (api-contract/run.sh,
# gcore-sdk/run.sh): one home for starting a portal of their own and getting an API token.
#
# start_portal PORT REPORT_DIR [NAME=VALUE...]
#   Starts target/release/cdn-portal on 127.0.0.1:PORT on a fresh SQLite database seeded with
#   the demo account, logging to REPORT_DIR/portal.log, with any extra environment given; waits
#   until it answers (30 s at most). Sets `base` (its URL), `work` (a scratch folder removed on
#   exit) and `portal` (its pid), and stops it when the script exits.
# api_token NAME
#   Logs in as the demo account and prints the secret of a new API token called NAME.

start_portal() {
  local port=$1 reports=$2
  shift 2
  base="http://127.0.0.1:$port"
  [ -x target/release/cdn-portal ] || { echo "target/release/cdn-portal is missing: make build" >&2; return 1; }
  # Another server on the port would be tested instead of this build.
  if curl -s -o /dev/null "$base/"; then
    echo "port $port is in use; choose another" >&2
    return 1
  fi
  work=$(mktemp -d)
  # `|| true`: a failing command in a trap would replace the test's exit status.
  trap 'kill $(jobs -p) 2>/dev/null || true; wait; rm -rf "$work"' EXIT
  env "$@" DATABASE_URL="sqlite://$work/portal.db" SEED_DEMO=true LEPTOS_SITE_ADDR="127.0.0.1:$port" \
    target/release/cdn-portal >"$reports/portal.log" 2>&1 &
  portal=$!
  # Migrating and seeding take a moment.
  local attempt
  for attempt in $(seq 150); do
    curl -sf -o /dev/null "$base/cdn/openapi.json" && return 0
    kill -0 "$portal" 2>/dev/null && [ "$attempt" -lt 150 ] ||
      { echo "the portal did not start; see $reports/portal.log" >&2; return 1; }
    sleep 0.2
  done
}

api_token() {
  # The portal refuses state-changing requests from other origins, so both calls send its own.
  local form=(-sSf -b "$work/cookies" -c "$work/cookies" -H "Origin: $base" -H 'Accept: application/json'
    -H 'Content-Type: application/x-www-form-urlencoded')
  curl "${form[@]}" "$base/api/log_in" --data 'email=demo%40example.com&password=demo-password' >/dev/null
  curl "${form[@]}" "$base/api/create_api_token" --data "name=$1&expires_in_days=" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])'
}
