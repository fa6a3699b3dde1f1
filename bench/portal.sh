#!/usr/bin/env bash
# The portal's figures, printed as Markdown: pages under wrk next to a bare axum handler sending
# the same bytes (the ceiling), save latency under 50 concurrent clients, the time from a save to
# the edge obeying it, what a browser downloads, and pages during a log-in flood (log-in-flood.sh,
# which runs alone too). Needs the release builds (make bench).
set -euo pipefail
cd "$(dirname "$0")/.."

portal=127.0.0.1:19300 ceiling=127.0.0.1:19301 edge=127.0.0.1:19380 edge_admin=127.0.0.1:19381
origin=127.0.0.1:19390 feed_token=benchmark-edge-feed-token
resources=${BENCH_RESOURCES:-1000} seconds=${BENCH_SECONDS:-10}

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT

ECHO_ORIGIN_LISTEN=$origin target/release/echo-origin >"$work/origin.log" 2>&1 & pids+=($!)
# The benchmark's one token makes 1000 resources and saves from 50 clients at once, as fast as the
# portal answers: its rate limit (10 a second by default) is lifted, or this would measure the limit.
DATABASE_URL="sqlite://$work/portal.db" SEED_DEMO=true LEPTOS_SITE_ADDR=$portal EDGE_FEED_TOKEN=$feed_token RUST_LOG=warn \
  API_REQUESTS_PER_SECOND=100000 API_BURST=100000 target/release/cdn-portal >"$work/portal.log" 2>&1 & pids+=($!)
until curl -sf -o /dev/null "http://$portal/cdn/openapi.json"; do sleep 0.2; done
EDGE_LISTEN=$edge EDGE_TLS_LISTEN=off EDGE_ADMIN_LISTEN=$edge_admin EDGE_PORTAL_URL="http://$portal" EDGE_FEED_TOKEN=$feed_token \
  EDGE_STATE_FILE="$work/edge.json" RUST_LOG=warn target/release/cdn-edge >"$work/edge.log" 2>&1 & pids+=($!)

# The demo account, signed in, with a token and $resources resources made through the API.
post() {
  curl -sSf -b "$work/cookies" -c "$work/cookies" -H "Origin: http://$portal" -H 'Accept: application/json' \
    "http://$portal$1" --data "$2"
}
post /api/log_in 'email=demo%40example.com&password=demo-password' >/dev/null
token=$(post /api/create_api_token 'name=benchmark&expires_in_days=' | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
cookie=$(awk '$6 == "portal_session" { print "portal_session=" $7 }' "$work/cookies")
python3 - "$portal" "$token" "$resources" "$origin" <<'PY'
import http.client, json, sys
portal, token, count, origin = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
connection = http.client.HTTPConnection(portal)
headers = {"Authorization": f"APIKey {token}", "Content-Type": "application/json"}
bodies = [{"cname": "ws.bench.example", "origin": origin, "integration": "entire_website"}]
bodies += [{"cname": f"r{n:04}.bench.example", "origin": "origin.example.com:8080",
            "integration": "static_assets" if n % 2 else "entire_website"} for n in range(count - 1)]
for body in bodies:
    connection.request("POST", "/cdn/resources", json.dumps(body), headers)
    response = connection.getresponse()
    response.read()
    assert response.status == 201, response.status
PY
ws_id=3 first_id=3 last_id=$((resources + 2))

# Requests per second and p99 latency of `wrk` on one URL: "rps p99".
measure() { # url connections [extra wrk arguments]
  local url=$1 connections=$2; shift 2
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" "$url" |
    awk '/Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = $2 } END { print rps, p99 }'
}

echo "### Pages (wrk, ${seconds} s, 2 threads; the account has $((resources + 2)) resources)"
echo
echo "| page | connections | portal req/s | portal p99 | ceiling req/s | ceiling p99 | portal / ceiling |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for page in "CDN resources overview:/cdn" "resource settings:/cdn/resources/1"; do
  name=${page%%:*} path=${page#*:}
  curl -sf -H "Cookie: $cookie" -H 'Accept: text/html' "http://$portal$path" >"$work/page.html"
  target/release/ceiling "$ceiling" "$work/page.html" & ceiling_pid=$!
  until curl -sf -o /dev/null "http://$ceiling/"; do sleep 0.1; done
  for connections in 10 100; do
    read -r rps p99 < <(measure "http://$portal$path" "$connections" -H "Cookie: $cookie" -H 'Accept: text/html')
    read -r ceiling_rps ceiling_p99 < <(measure "http://$ceiling$path" "$connections")
    ratio=$(python3 -c "print(f'{$rps / $ceiling_rps:.2f}')")
    echo "| $name ($(wc -c <"$work/page.html") B) | $connections | $rps | $p99 | $ceiling_rps | $ceiling_p99 | $ratio |"
  done
  kill $ceiling_pid; wait $ceiling_pid 2>/dev/null || true
done

echo
echo "### Saving the Websockets option (50 concurrent clients, SQLite, REST API PATCH)"
echo
TOKEN="$token" FIRST_ID=$first_id LAST_ID=$last_id wrk -t2 -c50 -d"${seconds}s" --latency -s bench/save.lua "http://$portal/" |
  awk '/Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
       END { print "| saves/s | p50 | p99 |\n|---:|---:|---:|\n| " rps " | " p50 " | " p99 " |" }'

echo
echo "### From a save to the edge obeying it (100 toggles, one edge)"
echo
# The edge learns of ws.bench.example first.
until curl -s -o /dev/null -w '%{http_code}' -H 'Host: ws.bench.example' "http://$edge/" | grep -q 200; do sleep 0.1; done
target/release/save-to-edge "$portal" "$edge" "$token" "$ws_id" ws.bench.example 100 |
  awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
       END { print "| toggles | p50 | p99 | max |\n|---:|---:|---:|---:|\n| " v["toggles"] " | " v["p50_ms"] " ms | " v["p99_ms"] " ms | " v["max_ms"] " ms |" }'

echo
echo "### What a browser downloads for a settings page"
echo
echo "| file | raw | gzip -9 | brotli -q 11 | sent by the portal (encoding, bytes) |"
echo "|---|---:|---:|---:|---|"
curl -sf -H "Cookie: $cookie" -H 'Accept: text/html' "http://$portal/cdn/resources/1" >"$work/settings.html"
for file in settings.html pkg/cdn-portal.css pkg/cdn-portal.js pkg/cdn-portal.wasm; do
  if [ "$file" = settings.html ]; then path=/cdn/resources/1 local_file=$work/settings.html
  else path=/$file local_file=target/site/$file; fi
  sent=$(curl -s -o "$work/sent" -D "$work/headers" -w '%{size_download}' -H "Cookie: $cookie" -H 'Accept: text/html' \
    -H 'Accept-Encoding: br, gzip' "http://$portal$path")
  encoding=$(awk -F': ' 'tolower($1) == "content-encoding" { print $2 }' "$work/headers" | tr -d '\r')
  echo "| $file | $(wc -c <"$local_file") | $(gzip -9 -c "$local_file" | wc -c) | $(brotli -q 11 -c "$local_file" | wc -c) | ${encoding:-none}, $sent |"
done

echo
bench/log-in-flood.sh
