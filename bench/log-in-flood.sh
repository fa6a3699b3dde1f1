#!/usr/bin/env bash
# "Log-in flood", printed as Markdown: the resource settings page's p99 and req/s under wrk alone,
# next to the same while 50 clients hammer `POST /api/log_in` with wrong passwords, each costing an
# Argon2id check. Measured twice in one run: with the portal's bound on Argon2 work (the default
# PASSWORD_HASHES_AT_ONCE and PASSWORD_HASH_QUEUE) and with it lifted, which shows what the bound
# buys. Called by portal.sh (make bench); runs alone too, after `make build`:
#   bench/log-in-flood.sh                      # BENCH_SECONDS=10 by default
#   PORTAL_BIN=/path/to/cdn-portal bench/log-in-flood.sh
set -euo pipefail
cd "$(dirname "$0")/.."

portal=127.0.0.1:19310 seconds=${BENCH_SECONDS:-10} bin=${PORTAL_BIN:-target/release/cdn-portal}
page=/cdn/resources/1 flooders=50 page_connections=10
unbounded="PASSWORD_HASHES_AT_ONCE=512 PASSWORD_HASH_QUEUE=100000"

work=$(mktemp -d)
portal_pid=
trap '[ -z "$portal_pid" ] || kill "$portal_pid" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT

# "rps p99" of wrk on the settings page.
measure_page() {
  wrk -t1 -c"$page_connections" -d"${seconds}s" --timeout 30s --latency -H "Cookie: $cookie" -H 'Accept: text/html' "http://$portal$page" |
    awk '/Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = $2 } END { print rps, p99 }'
}

# One Markdown row: a fresh portal with the settings "$2" (none: the defaults), named "$1".
# Log-in limits are raised out of the way, or the flood would be answered 429 without any hashing.
row() {
  local name=$1 settings=$2
  rm -f "$work"/portal.db* "$work/cookies"
  env $settings DATABASE_URL="sqlite://$work/portal.db" SEED_DEMO=true LEPTOS_SITE_ADDR=$portal RUST_LOG=error \
    LOG_IN_ATTEMPTS_PER_ACCOUNT=1000000 LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS=1000000 \
    "$bin" >"$work/portal.log" 2>&1 & portal_pid=$!
  until curl -sf -o /dev/null "http://$portal/cdn/openapi.json"; do sleep 0.2; done
  curl -sSf -c "$work/cookies" -H "Origin: http://$portal" -H 'Accept: application/json' \
    "http://$portal/api/log_in" --data 'email=demo%40example.com&password=demo-password' >/dev/null
  cookie=$(awk '$6 == "portal_session" { print "portal_session=" $7 }' "$work/cookies")
  curl -sf -o /dev/null -H "Cookie: $cookie" -H 'Accept: text/html' "http://$portal$page"

  local alone_rps alone_p99 flood_rps flood_p99
  read -r alone_rps alone_p99 < <(measure_page)
  # The flood runs a second longer on each side of the page's measure. wrk's 2 s timeout would
  # drop slow log-ins uncounted, so it waits for every answer.
  PORTAL=$portal wrk -t1 -c$flooders -d"$((seconds + 2))s" --timeout 30s -s bench/log-in-flood.lua "http://$portal/api/log_in" \
    >"$work/flood.out" 2>&1 & local flood_pid=$!
  sleep 1
  read -r flood_rps flood_p99 < <(measure_page)
  wait "$flood_pid"
  kill "$portal_pid"; wait "$portal_pid" 2>/dev/null || true; portal_pid=

  python3 - "$name" "$alone_rps" "$alone_p99" "$flood_rps" "$flood_p99" "$((seconds + 2))" "$work/flood.out" <<'PY'
import re, sys
name, alone_rps, alone_p99, flood_rps, flood_p99, flood_seconds, flood_out = sys.argv[1:]
def seconds(text):  # wrk writes 850.00us, 12.34ms, 1.02s, 2.00m
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[unit]
counts = dict(pair.split("=") for pair in re.search(r"answered=.*", open(flood_out).read()).group().split())
per_second = int(counts["answered"]) / int(flood_seconds)
print(f"| {name} | {alone_rps} | {alone_p99} | {flood_rps} | {flood_p99} | {seconds(flood_p99) / seconds(alone_p99):.1f} "
      f"| {per_second:.0f} | {counts['401']} | {counts['503']} | {counts['other']} |")
PY
}

cores=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
echo "### Log-in flood (wrk, ${seconds} s, 1 thread, $page_connections connections on the resource settings page; $flooders more clients post wrong passwords to /api/log_in)"
echo
echo "Each portal is started with \`LOG_IN_ATTEMPTS_PER_ACCOUNT=1000000 LOG_IN_ATTEMPTS_PER_CLIENT_ADDRESS=1000000\`,"
echo "so that every attempt of the flood is checked with Argon2id instead of being answered 429 unhashed."
echo "\"Bounded\" is the default: at most $(( cores / 2 > 0 ? cores / 2 : 1 )) Argon2 run(s) at once on these $cores cores, 64 waiting, 503 past that;"
echo "\"unbounded\" is \`$unbounded\`, as before the bound. Log-ins are counted over the flood's $((seconds + 2)) s."
echo
echo "| portal | page req/s alone | page p99 alone | page req/s under the flood | page p99 under the flood | p99 under / alone | log-ins answered/s | 401 | 503 | other |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
row "bounded (defaults)" ""
row "unbounded" "$unbounded"
