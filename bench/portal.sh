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

# The echo origin, the portal and one edge; the demo account signed in, with $resources resources.
source bench/portal-start.sh

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
