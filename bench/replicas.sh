#!/usr/bin/env bash
# Several replicas on one PostgreSQL server, printed as Markdown: saves and a settings page
# through one replica and through two at once, and the time from a save on replica B to an edge
# that follows replica A obeying it. Run inside scripts/test-postgres.sh (make bench does), which
# provides a throwaway server in TEST_POSTGRES_URL. Needs the release builds.
set -euo pipefail
cd "$(dirname "$0")/.."

replica_a=127.0.0.1:19400 replica_b=127.0.0.1:19401 edge=127.0.0.1:19480 edge_admin=127.0.0.1:19481
origin=127.0.0.1:19490 feed_token=benchmark-edge-feed-token
resources=${BENCH_RESOURCES:-100} seconds=${BENCH_SECONDS:-10}
database_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/portal_bench")))' "$TEST_POSTGRES_URL")
psql "$TEST_POSTGRES_URL" -q -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS portal_bench WITH (FORCE)' -c 'CREATE DATABASE portal_bench'

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT

replica() { # address log; exec, so that $! is the portal itself and the trap stops it
  # The benchmark's one token makes its resources as fast as the API answers: its rate is lifted.
  DATABASE_URL="$database_url" SEED_DEMO=true LEPTOS_SITE_ADDR=$1 EDGE_FEED_TOKEN=$feed_token RUST_LOG=warn \
    API_REQUESTS_PER_SECOND=100000 API_BURST=100000 exec target/release/cdn-portal >"$2" 2>&1
}
ECHO_ORIGIN_LISTEN=$origin target/release/echo-origin >"$work/origin.log" 2>&1 & pids+=($!)
replica "$replica_a" "$work/a.log" & pids+=($!)
replica "$replica_b" "$work/b.log" & pids+=($!)
for replica in $replica_a $replica_b; do
  until curl -sf -o /dev/null "http://$replica/cdn/openapi.json"; do sleep 0.2; done
done
EDGE_LISTEN=$edge EDGE_TLS_LISTEN=off EDGE_ADMIN_LISTEN=$edge_admin EDGE_PORTAL_URL="http://$replica_a" EDGE_FEED_TOKEN=$feed_token \
  EDGE_STATE_FILE="$work/edge.json" RUST_LOG=warn target/release/cdn-edge >"$work/edge.log" 2>&1 & pids+=($!)

# Signed in on replica A; the session and the token work on B too.
post() {
  curl -sSf -b "$work/cookies" -c "$work/cookies" -H "Origin: http://$replica_a" -H 'Accept: application/json' \
    "http://$replica_a$1" --data "$2"
}
post /api/log_in 'email=demo%40example.com&password=demo-password' >/dev/null
token=$(post /api/create_api_token 'name=benchmark&expires_in_days=' | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
cookie=$(awk '$6 == "portal_session" { print "portal_session=" $7 }' "$work/cookies")
python3 - "$replica_b" "$token" "$resources" "$origin" <<'PY'
import http.client, json, sys
portal, token, count, origin = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
connection = http.client.HTTPConnection(portal)
headers = {"Authorization": f"APIKey {token}", "Content-Type": "application/json"}
bodies = [{"cname": "ws.bench.example", "origin": origin, "integration": "entire_website"}]
bodies += [{"cname": f"r{n:04}.bench.example", "origin": "origin.example.com:8080",
            "integration": "entire_website"} for n in range(count - 1)]
for body in bodies:
    connection.request("POST", "/cdn/resources", json.dumps(body), headers)
    response = connection.getresponse()
    response.read()
    assert response.status == 201, response.status
PY
ws_id=3 first_id=3 last_id=$((resources + 2))

# "requests/s p50 p99" of wrk against one replica; extra arguments go to wrk.
load() { # replica connections [wrk arguments]
  local replica=$1 connections=$2; shift 2
  wrk -t1 -c"$connections" -d"${seconds}s" --latency "$@" "http://$replica/" |
    awk '/Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } END { print rps, p50, p99 }'
}
saves() { TOKEN="$token" FIRST_ID=$first_id LAST_ID=$last_id load "$1" "$2" -s bench/save.lua; }
page() { load "$1" "$2" -s /dev/stdin -H "Cookie: $cookie" -H 'Accept: text/html' <<<'wrk.path = "/cdn/resources/1"'; }

echo "### Through one replica and through two at once (wrk, ${seconds} s, PostgreSQL 15 on this machine)"
echo
echo "| what | replicas | clients | requests/s (sum) | p50 | p99 |"
echo "|---|---:|---:|---:|---:|---:|"
for what in saves page; do
  label=$([ $what = saves ] && echo "saving WebSockets (REST API PATCH)" || echo "a settings page")
  read -r rps p50 p99 < <($what "$replica_a" 50)
  echo "| $label | 1 | 50 | $rps | $p50 | $p99 |"
  $what "$replica_a" 25 >"$work/a.out" & a=$!
  $what "$replica_b" 25 >"$work/b.out" & b=$!
  wait $a $b
  read -r rps_a p50_a p99_a <"$work/a.out"
  read -r rps_b p50_b p99_b <"$work/b.out"
  sum=$(python3 -c "print(f'{$rps_a + $rps_b:.0f}')")
  echo "| $label | 2 | 25 + 25 | $sum | $p50_a / $p50_b | $p99_a / $p99_b |"
done

echo
echo "### From a save on replica B to the edge following replica A obeying it (100 toggles)"
echo
until curl -s -o /dev/null -w '%{http_code}' -H 'Host: ws.bench.example' "http://$edge/" | grep -q 200; do sleep 0.1; done
target/release/save-to-edge "$replica_b" "$edge" "$token" "$ws_id" ws.bench.example 100 |
  awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
       END { print "| toggles | p50 | p99 | max |\n|---:|---:|---:|---:|\n| " v["toggles"] " | " v["p50_ms"] " ms | " v["p99_ms"] " ms | " v["max_ms"] " ms |" }'
