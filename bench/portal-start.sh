# Sourced by portal.sh and ws-reports.sh (not run alone): the portal to measure, with everything
# around it. Starts the echo origin, the portal on SQLite seeded with the demo account, and one
# edge following the portal; signs in as the demo account and makes an API token and $resources
# resources through the REST API, the first (ws.bench.example) in front of the echo origin.
#
# Expects: portal edge edge_admin origin (host:port each), feed_token, resources, work (a
# scratch folder) and the array pids, whose processes the caller's trap ends.
# Sets: post PATH FORM (a server function, signed in), token (the API token's secret), cookie
# (the session's `portal_session=…`), ws_id (the resource in front of the echo origin), and
# first_id and last_id (the range of the $resources resources).

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
# The demo account's two resources come first.
ws_id=3 first_id=3 last_id=$((resources + 2))
